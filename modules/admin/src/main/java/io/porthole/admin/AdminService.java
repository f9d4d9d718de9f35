package io.porthole.admin;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster-wide admin operations behind {@code porthole.admin.*}. Every request carries {@code
 * {actor: <admin key id>}}; the call is written to the audit log (through the registry) before it
 * runs, so no admin action happens unrecorded. Sessions, ports, keys and sandbox tokens are the
 * registry's and the port allocator's; nodes, tunnels and kicks ask every node.
 */
final class AdminService {

  private static final Logger log = LoggerFactory.getLogger(AdminService.class);

  static final long REGISTRY_TIMEOUT_MS = 30_000;
  static final long SESSION_END_TIMEOUT_MS = 90_000;

  private final Vertx vertx;
  private final ClusterView cluster;

  AdminService(Vertx vertx, ClusterView cluster) {
    this.vertx = vertx;
    this.cluster = cluster;
  }

  /** Address → handler, every one audited. */
  Map<String, Function<JsonObject, Future<JsonObject>>> routes() {
    Map<String, Function<JsonObject, Future<JsonObject>>> out = new LinkedHashMap<>();
    out.put(Addresses.ADMIN_NODES, audited("admin.nodes", r -> null, r -> cluster.nodes()));
    out.put(Addresses.ADMIN_TUNNELS, audited("admin.tunnels", r -> null, r -> cluster.tunnels()));
    out.put(Addresses.ADMIN_SESSIONS, audited("admin.sessions", r -> null, this::sessions));
    out.put(Addresses.ADMIN_PORTS, audited("admin.ports", r -> null, this::ports));
    out.put(
        Addresses.ADMIN_KICK,
        audited("admin.kick", r -> AdminBus.str(r, "sandbox_id"), this::kick));
    out.put(
        Addresses.ADMIN_DRAIN,
        audited("admin.drain", r -> AdminBus.str(r, "node_id"), this::drain));
    out.put(
        Addresses.ADMIN_SESSION_END,
        audited("admin.session.end", r -> AdminBus.str(r, "session_id"), this::endSession));
    out.put(
        Addresses.ADMIN_KEYS_CREATE,
        audited("admin.keys.create", r -> AdminBus.str(r, "owner"), this::createKey));
    out.put(
        Addresses.ADMIN_KEYS_REVOKE,
        audited("admin.keys.revoke", r -> AdminBus.str(r, "key_id"), this::revokeKey));
    out.put(
        Addresses.ADMIN_SANDBOX_TOKEN,
        audited("admin.sandbox.token", r -> AdminBus.str(r, "sandbox_id"), this::sandboxToken));
    return out;
  }

  /**
   * Validates the actor and the subject, writes the audit row, then runs the action. A request the
   * audit log cannot record does not run.
   */
  private Function<JsonObject, Future<JsonObject>> audited(
      String action,
      Function<JsonObject, String> subject,
      Function<JsonObject, Future<JsonObject>> run) {
    return req -> {
      String actor = AdminBus.str(req, "actor");
      String subj = subject.apply(req);
      JsonObject audit =
          new JsonObject()
              .put("actor", actor)
              .put("action", action)
              .put("subject", subj)
              .put("details", details(req));
      return registry(Addresses.REGISTRY_AUDIT_RECORD, audit, REGISTRY_TIMEOUT_MS)
          .compose(
              v -> {
                log.info("{} by {} ({})", action, actor, subj);
                return run.apply(req);
              });
    };
  }

  /** The request without the actor; never a secret (admin requests carry none). */
  private static JsonObject details(JsonObject req) {
    JsonObject d = req.copy();
    d.remove("actor");
    return d;
  }

  private Future<JsonObject> registry(String address, JsonObject body, long timeoutMs) {
    return AdminBus.request(vertx, address, body, timeoutMs);
  }

  private Future<JsonObject> sessions(JsonObject req) {
    return registry(
        Addresses.REGISTRY_SESSION_LIST_ALL,
        new JsonObject().put("include_ended", req.getBoolean("include_ended", false)),
        REGISTRY_TIMEOUT_MS);
  }

  private Future<JsonObject> ports(JsonObject req) {
    return registry(Addresses.PORTS_LIST, new JsonObject(), REGISTRY_TIMEOUT_MS);
  }

  private Future<JsonObject> kick(JsonObject req) {
    String reason = req.getString("reason", "kicked by an admin");
    return cluster.kick(req.getString("sandbox_id"), reason);
  }

  /** Asks the named node to drain itself; a node not in the cluster is a 404. */
  private Future<JsonObject> drain(JsonObject req) {
    String node = req.getString("node_id");
    JsonObject ask = new JsonObject().put("op", "drain");
    if (req.containsKey("timeout_ms")) {
      ask.put("timeout_ms", req.getValue("timeout_ms"));
    }
    return AdminBus.request(vertx, Addresses.nodeAdmin(node), ask, REGISTRY_TIMEOUT_MS)
        .recover(
            err ->
                err instanceof io.vertx.core.eventbus.ReplyException re
                        && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS
                    ? Future.failedFuture(
                        new io.porthole.common.PortholeException(
                            io.porthole.common.ErrorCode.NOT_FOUND, "no node " + node))
                    : Future.failedFuture(err));
  }

  /** Finds the session's owner, then ends it as the registry does for that owner. */
  private Future<JsonObject> endSession(JsonObject req) {
    String id = req.getString("session_id");
    return registry(
            Addresses.REGISTRY_SESSION_LIST_ALL,
            new JsonObject().put("session_id", id).put("include_ended", true),
            REGISTRY_TIMEOUT_MS)
        .compose(
            found -> {
              JsonArray sessions = found.getJsonArray("sessions", new JsonArray());
              if (sessions.isEmpty()) {
                return Future.failedFuture(
                    new PortholeException(ErrorCode.NOT_FOUND, "no session " + id));
              }
              String owner = sessions.getJsonObject(0).getString("owner");
              return registry(
                  Addresses.REGISTRY_SESSION_END,
                  new JsonObject().put("owner", owner).put("session_id", id),
                  SESSION_END_TIMEOUT_MS);
            });
  }

  private Future<JsonObject> createKey(JsonObject req) {
    JsonObject body =
        new JsonObject()
            .put("actor", req.getString("actor"))
            .put("actor_admin", true)
            .put("owner", req.getString("owner"))
            .put("admin", req.getBoolean("admin", false));
    if (req.getValue("label") != null) {
      body.put("label", req.getValue("label"));
    }
    return registry(Addresses.REGISTRY_KEY_CREATE, body, REGISTRY_TIMEOUT_MS);
  }

  private Future<JsonObject> revokeKey(JsonObject req) {
    return registry(
        Addresses.REGISTRY_KEY_REVOKE,
        new JsonObject()
            .put("actor", req.getString("actor"))
            .put("actor_owner", req.getString("actor"))
            .put("actor_admin", true)
            .put("key_id", req.getString("key_id")),
        REGISTRY_TIMEOUT_MS);
  }

  private Future<JsonObject> sandboxToken(JsonObject req) {
    return registry(
        Addresses.REGISTRY_SANDBOX_ISSUE_TOKEN,
        new JsonObject()
            .put("sandbox_id", req.getString("sandbox_id"))
            .put("actor", req.getString("actor")),
        REGISTRY_TIMEOUT_MS);
  }
}
