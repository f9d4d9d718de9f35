package io.porthole.admin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** How this node drains itself; supplied by the node, which knows how to exit. */
@FunctionalInterface
public interface NodeDrain {

  /** Starts draining (idempotent); completes at once with {node_id, status, ...}. */
  Future<JsonObject> start(Duration timeout);

  /** A node that cannot drain (tests of the admin endpoints alone). */
  NodeDrain UNSUPPORTED =
      timeout ->
          Future.failedFuture(
              new io.porthole.common.PortholeException(
                  io.porthole.common.ErrorCode.UNAVAILABLE, "this node cannot drain"));
}
