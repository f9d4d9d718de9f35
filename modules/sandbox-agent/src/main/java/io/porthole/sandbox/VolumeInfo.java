package io.porthole.sandbox;

import java.util.Map;

/** A volume as the engine reports it. */
public record VolumeInfo(String name, Map<String, String> labels) {

  public VolumeInfo {
    labels = Map.copyOf(labels);
  }
}
