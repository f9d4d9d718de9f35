package io.porthole.api;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.function.BiFunction;

/**
 * {@code GET /sessions/{id}/logs?follow=true}: the container's output streamed as plain text, like
 * {@code docker logs --follow}. It asks the session's sandbox (wherever in the cluster it is) for
 * the tail with a cursor, then every {@value #POLL_MS} ms for the lines after the cursor, and
 * writes them as they come. It stops at the time or byte bound, when the client leaves, or when the
 * session stops running (a last line says why). The next poll waits for the client to drain.
 */
final class LogFollower {

  static final int DEFAULT_SECONDS = 60;
  static final int MAX_SECONDS = 3600;
  static final int DEFAULT_BYTES = 1024 * 1024;
  static final int MAX_BYTES = 64 * 1024 * 1024;
  static final long POLL_MS = 500;

  /** Bytes asked of the sandbox per poll. */
  static final int POLL_BYTES = 1024 * 1024;

  private final RoutingContext ctx;
  private final BiFunction<RoutingContext, JsonObject, Future<JsonObject>> command;
  private final Vertx vertx;
  private final HttpServerResponse resp;
  private final Promise<Http.Reply> done = Promise.promise();
  private String cursor;
  private long left;
  private long deadline;

  LogFollower(
      RoutingContext ctx, BiFunction<RoutingContext, JsonObject, Future<JsonObject>> command) {
    this.ctx = ctx;
    this.command = command;
    this.vertx = ctx.vertx();
    this.resp = ctx.response();
  }

  /** Starts following; the future completes once the response ended (or failed before it began). */
  Future<Http.Reply> run(int tail, int maxBytes, int maxSeconds) {
    left = maxBytes;
    deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
    command
        .apply(
            ctx,
            new JsonObject()
                .put("tail", tail)
                .put("max_bytes", Math.min(maxBytes, POLL_BYTES))
                .put("cursor", true))
        .onFailure(done::tryFail)
        .onSuccess(
            first -> {
              resp.setStatusCode(200)
                  .setChunked(true)
                  .putHeader("content-type", "text/plain; charset=utf-8")
                  .putHeader("cache-control", "no-store")
                  .putHeader("x-content-type-options", "nosniff");
              resp.closeHandler(v -> finish());
              cursor = first.getString("cursor");
              if (write(first.getString("logs", ""))) {
                next();
              }
            });
    return done.future();
  }

  private void next() {
    if (done.future().isComplete()) {
      return;
    }
    if (System.nanoTime() >= deadline) {
      finish();
      return;
    }
    if (resp.writeQueueFull()) {
      resp.drainHandler(v -> next());
      return;
    }
    vertx.setTimer(POLL_MS, t -> poll());
  }

  private void poll() {
    if (done.future().isComplete()) {
      return;
    }
    command
        .apply(
            ctx,
            new JsonObject()
                .put("since", cursor)
                .put("max_bytes", (int) Math.min(left, POLL_BYTES)))
        .onSuccess(
            batch -> {
              cursor = batch.getString("cursor", cursor);
              if (write(batch.getString("logs", ""))) {
                next();
              }
            })
        .onFailure(
            err -> {
              // the session ended, or its sandbox went away: say so, then stop
              if (!resp.closed()) {
                resp.write("[porthole: stopped following: " + err.getMessage() + "]\n");
              }
              finish();
            });
  }

  /** Writes text within the byte bound; false (and the end) once the bound is reached. */
  private boolean write(String text) {
    if (done.future().isComplete() || resp.closed()) {
      finish();
      return false;
    }
    Buffer b = Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
    if (b.length() >= left) {
      resp.write(b.slice(0, (int) left));
      left = 0;
      finish();
      return false;
    }
    left -= b.length();
    if (b.length() > 0) {
      resp.write(b);
    }
    return true;
  }

  private void finish() {
    if (done.future().isComplete()) {
      return;
    }
    if (!resp.ended() && !resp.closed()) {
      resp.end();
    }
    done.tryComplete(new Http.Reply(200, null));
  }
}
