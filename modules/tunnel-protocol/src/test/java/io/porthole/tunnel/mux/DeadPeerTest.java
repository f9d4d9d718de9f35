package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.support.Conditions;
import io.porthole.tunnel.support.TunnelFixture;
import io.porthole.tunnel.support.TunnelFixture.Tunnel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Keep-alive and dead-peer detection")
class DeadPeerTest {

  private static final Duration PING_INTERVAL = Duration.ofMillis(200);
  private static final Duration DEAD_AFTER = Duration.ofSeconds(1);

  private static MuxOptions shortTimeouts() {
    return new MuxOptions().setPingInterval(PING_INTERVAL).setDeadPeerTimeout(DEAD_AFTER);
  }

  @Test
  @DisplayName("a peer that stops reading is declared dead within the bound and its streams fail")
  void unresponsivePeerDetected(Vertx vertx, VertxTestContext testContext) {
    // the sandbox side keeps its default keep-alive, so it still sends PINGs while deaf
    TunnelFixture fixture = new TunnelFixture(vertx, shortTimeouts(), new MuxOptions());
    Promise<CloseReason> closed = Promise.promise();
    Promise<Throwable> streamError = Promise.promise();
    AtomicLong pausedAt = new AtomicLong();
    fixture
        .start()
        .compose(f -> f.connect(stream -> {}))
        .compose(
            tunnel -> {
              tunnel.opener().closeHandler(closed::tryComplete);
              return tunnel
                  .opener()
                  .open(Buffer.buffer("victim"))
                  .compose(
                      stream -> {
                        stream.exceptionHandler(streamError::tryComplete);
                        return deafen(tunnel, pausedAt);
                      });
            })
        .compose(v -> Future.all(closed.future(), streamError.future()))
        .onComplete(
            testContext.succeeding(
                all ->
                    testContext.verify(
                        () -> {
                          Duration detectedAfter =
                              Duration.ofNanos(System.nanoTime() - pausedAt.get());
                          CloseReason reason = all.resultAt(0);
                          assertThat(reason.origin()).isEqualTo(CloseReason.Origin.LOCAL);
                          assertThat(reason.code()).isEqualTo(ErrorCode.DEAD_PEER.code());
                          assertThat(reason.message()).contains("dead-peer timeout 1000 ms");
                          assertThat(detectedAfter)
                              .isGreaterThanOrEqualTo(DEAD_AFTER.minusMillis(100))
                              .isLessThan(DEAD_AFTER.plus(PING_INTERVAL).plusMillis(1000));
                          Throwable error = all.resultAt(1);
                          assertThat(error).isInstanceOf(TunnelClosedException.class);
                          assertThat(((TunnelClosedException) error).reason()).isEqualTo(reason);
                          testContext.completeNow();
                        })));
  }

  private record Pings(Tunnel tunnel, Duration fromApi, Duration fromSandbox) {}

  @Test
  @DisplayName("a healthy tunnel with the same short timeouts stays up and answers pings")
  void healthyPeerStaysUp(Vertx vertx, VertxTestContext testContext) {
    TunnelFixture fixture = new TunnelFixture(vertx, shortTimeouts(), shortTimeouts());
    fixture
        .start()
        .compose(f -> f.connect(stream -> {}))
        .compose(
            tunnel ->
                Conditions.after(vertx, DEAD_AFTER.multipliedBy(3))
                    .compose(v -> Future.all(tunnel.opener().ping(), tunnel.acceptor().ping()))
                    .map(pings -> new Pings(tunnel, pings.resultAt(0), pings.resultAt(1))))
        .onComplete(
            testContext.succeeding(
                pings ->
                    testContext.verify(
                        () -> {
                          assertThat(pings.tunnel().opener().isClosed()).isFalse();
                          assertThat(pings.tunnel().acceptor().isClosed()).isFalse();
                          assertThat(pings.fromApi()).isLessThan(DEAD_AFTER);
                          assertThat(pings.fromSandbox()).isLessThan(DEAD_AFTER);
                          testContext.completeNow();
                        })));
  }

  /** Pauses the sandbox side's socket on its own context: it no longer reads anything. */
  private static Future<Void> deafen(Tunnel tunnel, AtomicLong pausedAt) {
    Promise<Void> paused = Promise.promise();
    tunnel
        .acceptor()
        .context()
        .runOnContext(
            v -> {
              tunnel.clientSocket().pause();
              pausedAt.set(System.nanoTime());
              paused.complete();
            });
    return paused.future();
  }
}
