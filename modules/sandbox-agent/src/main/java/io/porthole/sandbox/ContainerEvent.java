package io.porthole.sandbox;

import java.util.Map;

/** One container event: its id, Docker's action (start, die, destroy, ...) and its labels. */
public record ContainerEvent(String containerId, String action, Map<String, String> labels) {

  public ContainerEvent {
    labels = Map.copyOf(labels);
  }
}
