package io.porthole.admin;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.tunnel.server.TunnelRouter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
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
  private final NodeDrain drain;
  private final Clock clock;
  private final Instant startedAt;
  private volatile boolean draining;

  LocalNode(AdminConfig cfg, TunnelRouter tunnels, NodeDrain drain, Clock clock) {
    this.cfg = cfg;
    this.tunnels = tunnels;
    this.drain = drain;
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
      case "drain" -> drain(req.getLong("timeout_ms", 30_000L));
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
                    .put("status", draining ? "draining" : "up")
                    .put("uptime_ms", uptime)
                    .put("load", load())
                    .put("cpus", rt.availableProcessors())
                    .put("heap_used", rt.totalMemory() - rt.freeMemory())
                    .put("heap_max", rt.maxMemory())
                    .put("tunnels", new JsonArray(list)));
  }

  /** The machine's one-minute load average (-1 where the OS has none). */
  private static double load() {
    double avg = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return avg < 0 ? -1 : Math.round(avg * 100) / 100.0;
  }

  Future<JsonObject> drain(long timeoutMs) {
    if (timeoutMs < 0 || timeoutMs > 3_600_000) {
      return Future.failedFuture(
          new PortholeException(
              ErrorCode.INVALID, "timeout_ms must be from 0 to 3600000, got " + timeoutMs));
    }
    return drain
        .start(Duration.ofMillis(timeoutMs))
        .onSuccess(v -> draining = true)
        .map(r -> r.copy().put("node_id", cfg.nodeId()));
  }

  Future<JsonObject> kick(String sandboxId, String reason) {
    return tunnels
        .kick(sandboxId, reason)
        .map(n -> new JsonObject().put("node_id", cfg.nodeId()).put("kicked", n));
  }
}
