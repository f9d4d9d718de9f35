package io.porthole.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** Starting nodes in the node tests. */
final class Nodes {

  private Nodes() {}

  /**
   * {@link Node#start} off any Vert.x thread, as main starts it: it reads and validates the
   * Hazelcast XML before it has a Vert.x of its own, and a test's {@code config} may create a
   * database. The result comes back on {@code vertx}'s context.
   */
  static Future<Node> start(Vertx vertx, Supplier<JsonObject> config) {
    return Future.fromCompletionStage(
            CompletableFuture.supplyAsync(() -> Node.start(config.get())),
            vertx.getOrCreateContext())
        .compose(node -> node);
  }
}
