package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.support.Conditions;
import io.porthole.tunnel.support.TunnelFixture;
import io.porthole.tunnel.support.TunnelFixture.Tunnel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Control channel request/reply")
class ControlChannelTest {

  private static Future<Tunnel> tunnel(Vertx vertx) {
    return new TunnelFixture(vertx).start().compose(f -> f.connect(stream -> {}));
  }

  /** Fails if {@code future} succeeds; yields its failure otherwise. */
  private static Future<Throwable> failureOf(Future<?> future) {
    return future.transform(
        ar ->
            ar.failed()
                ? Future.succeededFuture(ar.cause())
                : Future.failedFuture("expected a failure but got " + ar.result()));
  }

  @Test
  @DisplayName("requests are answered in both directions with the handler's body")
  void bothDirections(Vertx vertx, VertxTestContext testContext) {
    tunnel(vertx)
        .compose(
            t -> {
              t.opener().controlHandler(req -> Future.succeededFuture(answer("api", req)));
              t.acceptor().controlHandler(req -> Future.succeededFuture(answer("sandbox", req)));
              return Future.all(
                  t.opener().request("status", new JsonObject().put("port", 3000)),
                  t.acceptor().request("register", new JsonObject().put("sandbox", "s-1")));
            })
        .onComplete(
            testContext.succeeding(
                all ->
                    testContext.verify(
                        () -> {
                          JsonObject fromSandbox = all.resultAt(0);
                          JsonObject fromApi = all.resultAt(1);
                          assertThat(fromSandbox.getString("side")).isEqualTo("sandbox");
                          assertThat(fromSandbox.getString("command")).isEqualTo("status");
                          assertThat(fromSandbox.getJsonObject("echo").getInteger("port"))
                              .isEqualTo(3000);
                          assertThat(fromApi.getString("side")).isEqualTo("api");
                          assertThat(fromApi.getJsonObject("echo").getString("sandbox"))
                              .isEqualTo("s-1");
                          testContext.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "a failed handler future reaches the requester as an error reply with code and message")
  void errorReplies(Vertx vertx, VertxTestContext testContext) {
    tunnel(vertx)
        .compose(
            t -> {
              t.acceptor()
                  .controlHandler(
                      req ->
                          switch (req.command()) {
                            case "missing" ->
                                Future.failedFuture(
                                    new ControlException("NOT_FOUND", "no such port 9999"));
                            case "broken" ->
                                Future.failedFuture(new IllegalStateException("disk full"));
                            default ->
                                throw new IllegalArgumentException("cannot " + req.command());
                          });
              return Future.all(
                  failureOf(t.opener().request("missing", null)),
                  failureOf(t.opener().request("broken", null)),
                  failureOf(t.opener().request("explode", null)),
                  failureOf(t.acceptor().request("anything", null)));
            })
        .onComplete(
            testContext.succeeding(
                all ->
                    testContext.verify(
                        () -> {
                          assertControlError(all.resultAt(0), "NOT_FOUND", "no such port 9999");
                          assertControlError(
                              all.resultAt(1), ControlException.HANDLER_FAILED, "disk full");
                          assertControlError(
                              all.resultAt(2), ControlException.HANDLER_FAILED, "cannot explode");
                          // the API side installed no handler at all
                          assertControlError(
                              all.resultAt(3), ControlException.NO_HANDLER, "anything");
                          testContext.completeNow();
                        })));
  }

  private record TimeoutOutcome(
      Throwable error, Duration waited, JsonObject nextReply, Tunnel tunnel) {}

  @Test
  @DisplayName("an unanswered request times out with a clear error and a late reply is ignored")
  void timeout(Vertx vertx, VertxTestContext testContext) {
    long[] started = new long[1];
    tunnel(vertx)
        .compose(
            t -> {
              t.acceptor()
                  .controlHandler(
                      req -> {
                        if (!req.command().equals("slow")) {
                          return Future.succeededFuture(new JsonObject().put("fast", true));
                        }
                        Promise<JsonObject> late = Promise.promise();
                        vertx.setTimer(600, id -> late.complete(new JsonObject()));
                        return late.future();
                      });
              started[0] = System.nanoTime();
              return failureOf(t.opener().request("slow", new JsonObject(), Duration.ofMillis(200)))
                  .compose(
                      error -> {
                        Duration waited = Duration.ofNanos(System.nanoTime() - started[0]);
                        return Conditions.after(vertx, Duration.ofMillis(800))
                            .compose(v -> t.opener().request("quick", new JsonObject()))
                            .map(reply -> new TimeoutOutcome(error, waited, reply, t));
                      });
            })
        .onComplete(
            testContext.succeeding(
                outcome ->
                    testContext.verify(
                        () -> {
                          assertThat(outcome.error())
                              .isInstanceOf(ControlTimeoutException.class)
                              .hasMessageContaining("'slow'")
                              .hasMessageContaining("200 ms");
                          assertThat(outcome.waited())
                              .isGreaterThanOrEqualTo(Duration.ofMillis(190))
                              .isLessThan(Duration.ofSeconds(2));
                          assertThat(outcome.nextReply().getBoolean("fast")).isTrue();
                          assertThat(outcome.tunnel().opener().isClosed()).isFalse();
                          testContext.completeNow();
                        })));
  }

  @Test
  @DisplayName("outstanding requests fail promptly when the tunnel closes")
  void failsOnClose(Vertx vertx, VertxTestContext testContext) {
    tunnel(vertx)
        .compose(
            t -> {
              t.acceptor().controlHandler(req -> Promise.<JsonObject>promise().future());
              Future<Throwable> pending =
                  failureOf(t.opener().request("never", null, Duration.ofSeconds(30)));
              return t.opener()
                  .ping()
                  .compose(rtt -> t.acceptor().close("sandbox shutting down"))
                  .compose(v -> pending);
            })
        .onComplete(
            testContext.succeeding(
                error ->
                    testContext.verify(
                        () -> {
                          assertThat(error).isInstanceOf(TunnelClosedException.class);
                          CloseReason reason = ((TunnelClosedException) error).reason();
                          assertThat(reason.origin()).isEqualTo(CloseReason.Origin.REMOTE);
                          assertThat(reason.message()).isEqualTo("sandbox shutting down");
                          testContext.completeNow();
                        })));
  }

  private static JsonObject answer(String side, ControlRequest request) {
    return new JsonObject()
        .put("side", side)
        .put("command", request.command())
        .put("echo", request.body());
  }

  private static void assertControlError(Throwable error, String code, String message) {
    assertThat(error).isInstanceOf(ControlException.class).hasMessageContaining(message);
    assertThat(((ControlException) error).code()).isEqualTo(code);
  }
}
