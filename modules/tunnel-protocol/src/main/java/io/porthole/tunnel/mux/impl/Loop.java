package io.porthole.tunnel.mux.impl;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * Thread confinement for one tunnel connection. The connection's state is only touched on the
 * event-loop thread of its context; calls arriving on any other thread hop onto the context, in
 * order, with {@link Context#runOnContext}.
 */
final class Loop {

  private final Context context;
  private volatile Thread thread;

  Loop(Context context) {
    if (!context.isEventLoopContext()) {
      throw new IllegalArgumentException("a tunnel connection needs an event-loop context");
    }
    this.context = context;
    if (Vertx.currentContext() == context) {
      thread = Thread.currentThread();
    } else {
      context.runOnContext(v -> thread = Thread.currentThread());
    }
  }

  /**
   * The loop for {@code context} if it is an event-loop context other than {@code fallback}'s;
   * otherwise {@code fallback} (no context, a worker context, or the same one).
   */
  static Loop ownerOf(Context context, Loop fallback) {
    if (context == null || !context.isEventLoopContext() || context == fallback.context) {
      return fallback;
    }
    return new Loop(context);
  }

  Context context() {
    return context;
  }

  Vertx vertx() {
    return context.owner();
  }

  /** Whether the caller runs on the connection's event-loop thread. */
  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code action} now if on the loop, otherwise later on the loop. */
  void run(Runnable action) {
    if (inLoop()) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  /**
   * Calls {@code action} on the loop and relays its future to the caller; an exception thrown by
   * the action becomes a failed future either way.
   */
  <T> Future<T> call(Supplier<Future<T>> action) {
    if (inLoop()) {
      return invoke(action);
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> invoke(action).onComplete(promise));
    return promise.future();
  }

  /** {@code future}, with its outcome delivered on this loop. */
  <T> Future<T> relay(Future<T> future) {
    if (future.isComplete() && inLoop()) {
      return future;
    }
    Promise<T> promise = Promise.promise();
    future.onComplete(ar -> run(() -> promise.handle(ar)));
    return promise.future();
  }

  private static <T> Future<T> invoke(Supplier<Future<T>> action) {
    try {
      return action.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
