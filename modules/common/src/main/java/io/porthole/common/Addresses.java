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
  public static final String REGISTRY_SANDBOX_AUTHENTICATE =
      "porthole.registry.sandbox.authenticate";

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

  /** Registry: resolve an API key. {key_hash} → {key_id, owner, admin}. Plain keys never travel. */
  public static final String REGISTRY_KEY_AUTHENTICATE = "porthole.registry.key.authenticate";

  /** Registry: create an API key (admin). {actor, actor_admin, owner, admin?, label?} → key. */
  public static final String REGISTRY_KEY_CREATE = "porthole.registry.key.create";

  /** Registry: list API keys. {actor_owner, actor_admin} → {keys: [..]} (never hashes). */
  public static final String REGISTRY_KEY_LIST = "porthole.registry.key.list";

  /** Registry: revoke an API key. {actor, actor_owner, actor_admin, key_id} → the key. */
  public static final String REGISTRY_KEY_REVOKE = "porthole.registry.key.revoke";

  /** Registry: place and create a session. {owner, key_id, image?, command?, ...} → session. */
  public static final String REGISTRY_SESSION_CREATE = "porthole.registry.session.create";

  /** Registry: one owner's sessions. {owner, include_ended?} → {sessions: [..]}. */
  public static final String REGISTRY_SESSION_LIST = "porthole.registry.session.list";

  /** Registry: one session. {owner, session_id} → session. */
  public static final String REGISTRY_SESSION_GET = "porthole.registry.session.get";

  /**
   * Registry: end a session (container removed, exposures and ports freed). {owner, session_id}.
   */
  public static final String REGISTRY_SESSION_END = "porthole.registry.session.end";

  /** Registry: expose a port. {owner, session_id, port, protocol, ...} → {exposure, created}. */
  public static final String REGISTRY_EXPOSURE_CREATE = "porthole.registry.exposure.create";

  /** Registry: a session's exposures. {owner, session_id} → {session_id, exposures: [..]}. */
  public static final String REGISTRY_EXPOSURE_LIST = "porthole.registry.exposure.list";

  /** Registry: unexpose a port. {owner, session_id, port} → {session_id, port, freed_port?}. */
  public static final String REGISTRY_EXPOSURE_DELETE = "porthole.registry.exposure.delete";

  /**
   * Registry, for the proxy: what a front door leads to. {session_id, port} | {session_id, name} |
   * {allocated_port} | {share_token} → exposure with its policy, owner and container address.
   */
  public static final String REGISTRY_EXPOSURE_RESOLVE = "porthole.registry.exposure.resolve";

  /** Registry: create a share link. {owner, session_id, port, expires_in_s?} → {id, token, ..}. */
  public static final String REGISTRY_SHARE_CREATE = "porthole.registry.share.create";

  /** Registry: an exposure's share links. {owner, session_id, port} → {shares: [..]}. */
  public static final String REGISTRY_SHARE_LIST = "porthole.registry.share.list";

  /** Registry: revoke one ({share_id}) or all share links of an exposure. → {revoked: n}. */
  public static final String REGISTRY_SHARE_REVOKE = "porthole.registry.share.revoke";

  /**
   * Port allocator: allocate a host port for an exposure. {session_id, target_port, owner,
   * protocol} → {port, session_id, target_port, protocol, allocation_id}.
   */
  public static final String PORTS_ALLOCATE = "porthole.ports.allocate";

  /** Port allocator: every current allocation. {} → {allocations: [..]}. */
  public static final String PORTS_LIST = "porthole.ports.list";

  /**
   * Published (to every node) after a port is allocated: {port, session_id, target_port, protocol,
   * allocation_id}. Every API node binds the port.
   */
  public static final String PORTS_ALLOCATED = "porthole.ports.allocated";

  /**
   * Published (to every node) after a port is freed: {port, session_id, target_port, protocol,
   * allocation_id}. Every API node closes its listener on the port.
   */
  public static final String PORTS_FREED = "porthole.ports.freed";

  /** Published by a node when a sandbox's tunnels on it come or go: {sandbox_id, node_id}. */
  public static final String TUNNELS_CHANGED = "porthole.tunnels.changed";

  /**
   * Registry, for admins: sessions of every owner. {include_ended?, session_id?} → {sessions:
   * [..]}.
   */
  public static final String REGISTRY_SESSION_LIST_ALL = "porthole.registry.session.list-all";

  /** Registry: write one audit row. {actor, action, subject?, details?} → {}. */
  public static final String REGISTRY_AUDIT_RECORD = "porthole.registry.audit.record";

  /** Admin: every node of the cluster, live or unreachable. {actor} → {nodes: [..]}. */
  public static final String ADMIN_NODES = "porthole.admin.nodes";

  /** Admin: every tunnel on every node. {actor} → {tunnels: [..], unreachable: [..]}. */
  public static final String ADMIN_TUNNELS = "porthole.admin.tunnels";

  /** Admin: sessions of every owner. {actor, include_ended?} → {sessions: [..]}. */
  public static final String ADMIN_SESSIONS = "porthole.admin.sessions";

  /** Admin: every host-port allocation. {actor} → {allocations: [..]}. */
  public static final String ADMIN_PORTS = "porthole.admin.ports";

  /** Admin: close a sandbox's tunnels on every node. {actor, sandbox_id, reason?} → {kicked}. */
  public static final String ADMIN_KICK = "porthole.admin.kick";

  /**
   * Admin: drain a node (no new tunnels or traffic; it exits once its streams finish). {actor,
   * node_id, timeout_ms?} → {node_id, status: "draining"}.
   */
  public static final String ADMIN_DRAIN = "porthole.admin.drain";

  /** Admin: end any owner's session. {actor, session_id} → the ended session. */
  public static final String ADMIN_SESSION_END = "porthole.admin.session.end";

  /** Admin: create an API key. {actor, owner, admin?, label?} → the key (shown once). */
  public static final String ADMIN_KEYS_CREATE = "porthole.admin.keys.create";

  /** Admin: revoke any API key. {actor, key_id} → the key. */
  public static final String ADMIN_KEYS_REVOKE = "porthole.admin.keys.revoke";

  /** Admin: issue or rotate a sandbox's tunnel token. {actor, sandbox_id} → {sandbox_id, token}. */
  public static final String ADMIN_SANDBOX_TOKEN = "porthole.admin.sandbox.token";

  /** Cluster-wide async map of live nodes: node_id → {node_id, address, roles, started_at}. */
  public static final String NODES_MAP = "porthole.nodes";

  /**
   * Proxy, local to each API node: a one-minute browser sign-in token for a subdomain URL.
   * {session_id, port, owner} → {token, expires_in_s}. The caller has checked ownership.
   */
  public static final String PROXY_BROWSER_LINK = "porthole.proxy.browser-link";

  private Addresses() {}

  /**
   * Commands for one sandbox's agent, registered by the node that holds the sandbox's tunnel and
   * relayed over the tunnel's control channel. Body {command, body}; reply: the agent's JSON reply.
   */
  public static String sandboxControl(String sandboxId) {
    return "porthole.sandbox." + sandboxId + ".control";
  }

  /**
   * Where one sandbox's tunnel is, registered by the node that holds it. Reply {node_id, host,
   * port}: the node's internal data-plane endpoint for the node-to-node hop.
   */
  public static String sandboxRoute(String sandboxId) {
    return "porthole.sandbox." + sandboxId + ".route";
  }

  /** Per-node address: health of one node's local parts, for admin views. */
  public static String nodeHealth(String nodeId) {
    return "porthole.node." + nodeId + ".health";
  }

  /**
   * Per-node admin address: this node's local facts. {op: "info"} → {node_id, roles, uptime_ms,
   * heap_used, heap_max, tunnels: [..]}; {op: "kick", sandbox_id, reason?} → {kicked}.
   */
  public static String nodeAdmin(String nodeId) {
    return "porthole.node." + nodeId + ".admin";
  }
}
