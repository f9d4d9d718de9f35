package io.porthole.common;

/**
 * Every event-bus address Porthole uses. Lowercase, dotted, {@code porthole.<area>.<action>}; the
 * {@code __vertx.} prefix is Vert.x's own.
 */
public final class Addresses {

  /** Registry: a cheap round trip to PostgreSQL, used by readiness checks. */
  public static final String REGISTRY_PING = "porthole.registry.ping";

  private Addresses() {}

  /** Per-node address: health of one node's local parts, for admin views. */
  public static String nodeHealth(String nodeId) {
    return "porthole.node." + nodeId + ".health";
  }
}
