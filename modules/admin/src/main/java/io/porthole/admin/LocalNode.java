package io.porthole.admin;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.tunnel.server.TunnelRouter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * This node's own facts, answered on {@code Addresses.nodeAdmin(nodeId)}: id, roles, uptime, heap
 * and the tunnels it holds; and kicking a sandbox's tunnels here.
 */
final class LocalNode {

  private final AdminConfig cfg;
  private final TunnelRouter tunnels;
  private final Clock clock;
  private final Instant startedAt;

  LocalNode(AdminConfig cfg, TunnelRouter tunnels, Clock clock) {
    this.cfg = cfg;
    this.tunnels = tunnels;
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  /** The entry this node keeps in the cluster-wide node map. */
  JsonObject record() {
    return new JsonObject()
        .put("node_id", cfg.nodeId())
        .put("address", cfg.address())
        .put("roles", new JsonArray(cfg.roles()))
        .put("started_at", startedAt.toString());
  }

  /** {op: info} or {op: kick, sandbox_id, reason?}. */
  Future<JsonObject> handle(JsonObject req) {
    String op = req.getString("op", "info");
    return switch (op) {
      case "info" -> info();
      case "kick" -> kick(AdminBus.str(req, "sandbox_id"), req.getString("reason", "kicked"));
      default -> Future.failedFuture(new PortholeException(ErrorCode.INVALID, "unknown op " + op));
    };
  }

  Future<JsonObject> info() {
    Runtime rt = Runtime.getRuntime();
    long uptime = Duration.between(startedAt, clock.instant()).toMillis();
    return tunnels
        .snapshot()
        .map(
            list ->
                record()
                    .put("status", "up")
                    .put("uptime_ms", uptime)
                    .put("heap_used", rt.totalMemory() - rt.freeMemory())
                    .put("heap_max", rt.maxMemory())
                    .put("tunnels", new JsonArray(list)));
  }

  Future<JsonObject> kick(String sandboxId, String reason) {
    return tunnels
        .kick(sandboxId, reason)
        .map(n -> new JsonObject().put("node_id", cfg.nodeId()).put("kicked", n));
  }
}
