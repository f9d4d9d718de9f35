package io.porthole.tunnel.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting on conditions without blocking: polls on a Vert.x timer, bounded in time. */
public final class Conditions {

  private Conditions() {}

  /** Completes once {@code condition} holds; fails with {@code description} after {@code limit}. */
  public static Future<Void> eventually(
      Vertx vertx, String description, Duration limit, BooleanSupplier condition) {
    Promise<Void> promise = Promise.promise();
    long deadline = System.nanoTime() + limit.toNanos();
    poll(vertx, description, deadline, condition, promise);
    return promise.future();
  }

  /** Completes after {@code delay} (a non-blocking pause for "nothing happens" checks). */
  public static Future<Void> after(Vertx vertx, Duration delay) {
    Promise<Void> promise = Promise.promise();
    vertx.setTimer(delay.toMillis(), id -> promise.complete());
    return promise.future();
  }

  private static void poll(
      Vertx vertx,
      String description,
      long deadline,
      BooleanSupplier condition,
      Promise<Void> promise) {
    if (condition.getAsBoolean()) {
      promise.complete();
    } else if (System.nanoTime() > deadline) {
      promise.fail(new AssertionError("condition not met in time: " + description));
    } else {
      vertx.setTimer(10, id -> poll(vertx, description, deadline, condition, promise));
    }
  }
}
