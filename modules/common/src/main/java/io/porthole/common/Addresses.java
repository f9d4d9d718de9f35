package io.porthole.common;

/**
 * Every event-bus address Porthole uses. Lowercase, dotted, {@code porthole.<area>.<action>}; the
 * {@code __vertx.} prefix is Vert.x's own. Message bodies are JSON; failures use {@link ErrorCode}
 * codes. The request and reply shapes are documented in {@code docs/internal-api.md}.
 */
public final class Addresses {

  /** Registry: a cheap round trip to PostgreSQL, used by readiness checks. */
  public static final String REGISTRY_PING = "porthole.registry.ping";

  /** Registry: check a sandbox's tunnel token. {sandbox_id, token, instance_id} → {sandbox_id}. */
  public static final String REGISTRY_SANDBOX_AUTHENTICATE = "porthole.registry.sandbox.authenticate";

  /**
   * Registry: a sandbox's tunnel came up on a node. {sandbox_id, instance_id, node_id, capacity?,
   * labels?} → {}.
   */
  public static final String REGISTRY_SANDBOX_CONNECTED = "porthole.registry.sandbox.connected";

  /** Registry: a sandbox's tunnel on a node went down. {sandbox_id, instance_id, node_id} → {}. */
  public static final String REGISTRY_SANDBOX_DISCONNECTED =
      "porthole.registry.sandbox.disconnected";

  /** Registry: create (or rotate) a sandbox's tunnel token. {sandbox_id} → {sandbox_id, token}. */
  public static final String REGISTRY_SANDBOX_ISSUE_TOKEN = "porthole.registry.sandbox.issue-token";

  private Addresses() {}

  /**
   * Commands for one sandbox's agent, registered by the node that holds the sandbox's tunnel and
   * relayed over the tunnel's control channel. Body {command, body}; reply: the agent's JSON reply.
   */
  public static String sandboxControl(String sandboxId) {
    return "porthole.sandbox." + sandboxId + ".control";
  }

  /**
   * Where one sandbox's tunnel is, registered by the node that holds it. Reply {node_id, host, port}:
   * the node's internal data-plane endpoint for the node-to-node hop.
   */
  public static String sandboxRoute(String sandboxId) {
    return "porthole.sandbox." + sandboxId + ".route";
  }

  /** Per-node address: health of one node's local parts, for admin views. */
  public static String nodeHealth(String nodeId) {
    return "porthole.node." + nodeId + ".health";
  }
}
