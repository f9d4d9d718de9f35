package io.porthole.sandbox;

import java.util.Map;

/**
 * A container as {@code docker inspect} reports it.
 *
 * @param name without Docker's leading slash
 * @param status Docker's state: created, running, restarting, paused, exited, dead
 * @param pid the init process's pid on the engine's host; 0 when not running
 * @param ips network name → the container's IPv4 address on it
 */
public record ContainerInfo(
    String id,
    String name,
    String image,
    Map<String, String> labels,
    String status,
    boolean running,
    long pid,
    String startedAt,
    Map<String, String> ips) {

  public ContainerInfo {
    labels = Map.copyOf(labels);
    ips = Map.copyOf(ips);
  }

  /** A label's value, or null. */
  public String label(String key) {
    return labels.get(key);
  }
}
