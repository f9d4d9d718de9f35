package io.porthole.common;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * The node's Micrometer registry: the one Vert.x publishes its own metrics to, named by the node id
 * (so several nodes in one JVM keep theirs apart), scraped at {@code /metrics}. When metrics are
 * off, a registry that records nothing.
 */
public final class Meters {

  private static final MeterRegistry NONE = new CompositeMeterRegistry();

  private Meters() {}

  public static MeterRegistry of(String nodeId) {
    MeterRegistry registry = BackendRegistries.getNow(nodeId);
    return registry != null ? registry : NONE;
  }
}
