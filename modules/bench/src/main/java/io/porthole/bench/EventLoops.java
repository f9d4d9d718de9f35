package io.porthole.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Event-loop contexts and hopping between them. */
final class EventLoops {

  private static final long POLL_MILLIS = 10;

  private EventLoops() {}

  /**
   * A new event-loop context, from deploying an empty verticle: deployments take the event loops in
   * turn, so two calls in a row get two different threads when the pool has two or more.
   */
  static Future<Context> newEventLoop(Vertx vertx) {
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

  /** The thread behind an event-loop context. */
  static Future<Thread> thread(Context context) {
    Promise<Thread> promise = Promise.promise();
    context.runOnContext(v -> promise.complete(Thread.currentThread()));
    return promise.future();
  }

  /** Calls {@code action} on {@code context} (at once if already there) and relays its future. */
  static <T> Future<T> call(Context context, Supplier<Future<T>> action) {
    if (Vertx.currentContext() == context) {
      return action.get();
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(promise));
    return promise.future();
  }

  /** Completes once {@code condition} holds, polled every 10 ms; fails after {@code limit}. */
  static Future<Void> until(Vertx vertx, String what, Duration limit, BooleanSupplier condition) {
    Promise<Void> promise = Promise.promise();
    long deadline = System.nanoTime() + limit.toNanos();
    poll(vertx, what, deadline, condition, promise);
    return promise.future();
  }

  private static void poll(
      Vertx vertx, String what, long deadline, BooleanSupplier condition, Promise<Void> promise) {
    if (condition.getAsBoolean()) {
      promise.complete();
    } else if (System.nanoTime() - deadline > 0) {
      promise.fail(new IllegalStateException("timed out waiting for " + what));
    } else {
      vertx.setTimer(POLL_MILLIS, id -> poll(vertx, what, deadline, condition, promise));
    }
  }
}
