package io.porthole.sandbox.tunnel;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

/** What the tunnel client serves: the sandbox's commands and its forwarding targets. */
public interface SandboxEndpoint {

  /** Answers a command from the API (docs/internal-api.md); fails with a PortholeException. */
  Future<JsonObject> handle(String command, JsonObject body);

  /**
   * The container address for (session, port), only for a session placed on this sandbox; fails
   * with a PortholeException (NOT_FOUND, INVALID, ...) otherwise.
   */
  Future<SocketAddress> resolveTarget(String sessionId, int port);
}
