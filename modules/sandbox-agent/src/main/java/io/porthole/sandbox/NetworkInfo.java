package io.porthole.sandbox;

import java.util.List;
import java.util.Map;

/** A network as the engine reports it, with its IPAM subnets (CIDR). */
public record NetworkInfo(
    String id, String name, List<String> subnets, Map<String, String> labels) {

  public NetworkInfo {
    subnets = List.copyOf(subnets);
    labels = Map.copyOf(labels);
  }
}
