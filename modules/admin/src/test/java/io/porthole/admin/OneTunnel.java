package io.porthole.admin;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.tunnel.server.TunnelRouter;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** A node's tunnel table holding one tunnel of {@code sandboxId} until it is kicked. */
final class OneTunnel implements TunnelRouter {

  final String sandboxId;
  final List<String> kicks = new ArrayList<>();
  private boolean open = true;

  OneTunnel(String sandboxId) {
    this.sandboxId = sandboxId;
  }

  @Override
  @SuppressWarnings("rawtypes") // the stream type is the tunnel protocol's; none is ever opened
  public Future open(String id, Buffer metadata) {
    return Future.failedFuture(new PortholeException(ErrorCode.UNAVAILABLE, "no streams here"));
  }

  @Override
  public Future<JsonObject> command(String id, String command, JsonObject body) {
    return Future.failedFuture(new PortholeException(ErrorCode.UNAVAILABLE, "no commands here"));
  }

  @Override
  public Future<List<JsonObject>> snapshot() {
    List<JsonObject> out = new ArrayList<>();
    if (open) {
      out.add(
          new JsonObject()
              .put("sandbox_id", sandboxId)
              .put("instance_id", "inst-1")
              .put("node_id", "n1")
              .put("remote", "127.0.0.1:50000")
              .put("streams", 0)
              .put("connected_at", "2026-01-01T00:00:00Z"));
    }
    return Future.succeededFuture(out);
  }

  @Override
  public Future<Integer> kick(String id, String reason) {
    kicks.add(id + ":" + reason);
    if (open && id.equals(sandboxId)) {
      open = false;
      return Future.succeededFuture(1);
    }
    return Future.succeededFuture(0);
  }
}
