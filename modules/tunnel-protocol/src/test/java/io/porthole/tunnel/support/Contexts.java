package io.porthole.tunnel.support;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;

/** Fresh event-loop contexts for tests, so the two ends of a tunnel run on different threads. */
public final class Contexts {

  private Contexts() {}

  /**
   * A new event-loop context, from deploying an empty verticle (deployments take event loops in
   * turn, unlike {@code getOrCreateContext()} which sticks to one context per calling thread).
   */
  public static Future<Context> newEventLoop(Vertx vertx) {
    Promise<Context> promise = Promise.promise();
    vertx
        .deployVerticle(
            new VerticleBase() {
              @Override
              public Future<?> start() {
                promise.complete(context);
                return Future.succeededFuture();
              }
            })
        .onFailure(promise::tryFail);
    return promise.future();
  }
}
