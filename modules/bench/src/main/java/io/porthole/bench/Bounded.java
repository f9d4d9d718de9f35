package io.porthole.bench;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * Runs {@code total} asynchronous tasks on one event-loop context, at most {@code inFlight} at a
 * time, within a time limit: bounded in count and in time. The first failed task, or the limit,
 * ends the run with a failure (tasks still in flight are left to finish on their own).
 */
final class Bounded {

  private final Context context;
  private final int total;
  private final int inFlight;
  private final Duration limit;
  private final IntFunction<Future<?>> task;
  private final Promise<Long> done = Promise.promise();
  private int launched;
  private int completed;
  private long startNanos;
  private long timerId = -1;
  private boolean filling;

  private Bounded(
      Context context, int total, int inFlight, Duration limit, IntFunction<Future<?>> task) {
    this.context = context;
    this.total = total;
    this.inFlight = inFlight;
    this.limit = limit;
    this.task = task;
  }

  /**
   * Runs the tasks ({@code task.apply(i)} for i in 0..total-1, called on {@code context}); yields
   * the nanoseconds from the first launch to the last completion.
   */
  static Future<Long> run(
      Context context, int total, int inFlight, Duration limit, IntFunction<Future<?>> task) {
    if (total <= 0 || inFlight <= 0) {
      return Future.failedFuture(new IllegalArgumentException("total and inFlight must be > 0"));
    }
    Bounded run = new Bounded(context, total, inFlight, limit, task);
    context.runOnContext(v -> run.start());
    return run.done.future();
  }

  private void start() {
    Vertx vertx = context.owner();
    timerId =
        vertx.setTimer(
            Math.max(1, limit.toMillis()),
            id ->
                finish(
                    new TimeoutException(
                        "incomplete: "
                            + completed
                            + " of "
                            + total
                            + " done within the "
                            + BenchPlan.describe(limit)
                            + " limit")));
    startNanos = System.nanoTime();
    fill();
  }

  private void fill() {
    if (filling) {
      // re-entered from a task that completed at once: the outer loop goes on
      return;
    }
    filling = true;
    try {
      while (!done.future().isComplete() && launched < total && launched - completed < inFlight) {
        launch(launched++);
      }
    } finally {
      filling = false;
    }
  }

  private void launch(int index) {
    Future<?> result;
    try {
      result = task.apply(index);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(
        ar -> {
          if (Vertx.currentContext() == context) {
            onTaskDone(ar);
          } else {
            context.runOnContext(v -> onTaskDone(ar));
          }
        });
  }

  private void onTaskDone(AsyncResult<?> ar) {
    if (done.future().isComplete()) {
      return;
    }
    if (ar.failed()) {
      finish(ar.cause());
      return;
    }
    completed++;
    if (completed == total) {
      long elapsed = System.nanoTime() - startNanos;
      context.owner().cancelTimer(timerId);
      done.tryComplete(elapsed);
    } else {
      fill();
    }
  }

  private void finish(Throwable failure) {
    context.owner().cancelTimer(timerId);
    done.tryFail(failure);
  }
}
