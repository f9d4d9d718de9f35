package io.porthole.tunnel.server;

import io.porthole.tunnel.mux.MuxStream;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The tunnels this node holds, as the rest of the node sees them: the proxy opens streams through
 * it (the data path never crosses the event bus), admin views list it.
 */
public interface TunnelRouter {

  /**
   * Opens a stream to a sandbox whose tunnel this node holds. While the sandbox is reconnecting the
   * open waits up to the grace period; it fails with {@code UNAVAILABLE} when this node has no
   * tunnel for it (nor a reconnect in grace), when the grace expires, or when too many wait.
   */
  Future<MuxStream> open(String sandboxId, Buffer metadata);

  /** Sends a command to a sandbox's agent over one of its tunnels on this node. */
  Future<JsonObject> command(String sandboxId, String command, JsonObject body);

  /** One entry per tunnel this node holds: sandbox, instance, node, remote, streams, since. */
  Future<List<JsonObject>> snapshot();

  /** Closes every tunnel of a sandbox on this node; returns how many were closed. */
  Future<Integer> kick(String sandboxId, String reason);
}
