package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.support.Conditions;
import io.porthole.tunnel.support.TcpCutProxy;
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
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@ExtendWith(VertxExtension.class)
@DisplayName("Abrupt loss of the tunnel connection")
class AbruptDisconnectTest {

  private static final Duration PROMPT = Duration.ofSeconds(2);
  private static final int WRITES = 8;
  private static final int WRITE_SIZE = 128 * 1024;

  /** How the connection is lost; never with a GOAWAY. */
  enum Cut {
    API_SIDE_CLOSES_WEBSOCKET,
    SANDBOX_SIDE_CLOSES_WEBSOCKET,
    TCP_CONNECTION_CUT
  }

  /** What one side observed. */
  private record Observed(Throwable streamError, Throwable writeError, CloseReason reason) {}

  /** One side's stream with a write that is still queued behind the peer's window. */
  private record Side(MuxStream stream, Future<Void> pendingWrite) {}

  private record Connected(Tunnel tunnel, TcpCutProxy proxy) {}

  private record Outcome(Observed opener, Observed acceptor, Duration elapsed, Tunnel tunnel) {}

  @ParameterizedTest
  @EnumSource(Cut.class)
  @DisplayName("open streams on both sides fail promptly and their pending writes fail")
  void streamsFailPromptly(Cut cut, Vertx vertx, VertxTestContext testContext) {
    TunnelFixture fixture = new TunnelFixture(vertx);
    Promise<Side> acceptorSide = Promise.promise();
    AtomicLong cutAt = new AtomicLong();
    fixture
        .start()
        .compose(
            f ->
                cut == Cut.TCP_CONNECTION_CUT
                    ? new TcpCutProxy(vertx, f.port())
                        .start()
                        .compose(
                            proxy ->
                                f.connect(
                                        stream -> acceptorSide.complete(stall(stream)),
                                        proxy.port())
                                    .map(tunnel -> new Connected(tunnel, proxy)))
                    : f.connect(stream -> acceptorSide.complete(stall(stream)))
                        .map(tunnel -> new Connected(tunnel, null)))
        .compose(
            connected -> {
              Tunnel tunnel = connected.tunnel();
              Future<Side> openerSide =
                  tunnel.opener().open(Buffer.buffer("stalled")).map(AbruptDisconnectTest::stall);
              return Future.all(openerSide, acceptorSide.future())
                  .compose(
                      all -> {
                        Side opener = all.resultAt(0);
                        Side acceptor = all.resultAt(1);
                        Future<Observed> openerSaw = observe(tunnel.opener(), opener);
                        Future<Observed> acceptorSaw = observe(tunnel.acceptor(), acceptor);
                        return Conditions.eventually(
                                vertx,
                                "writes queued on both sides",
                                Duration.ofSeconds(5),
                                () ->
                                    opener.stream().queuedOutboundBytes() > 0
                                        && acceptor.stream().queuedOutboundBytes() > 0)
                            .compose(
                                v -> {
                                  cutAt.set(System.nanoTime());
                                  return cut(cut, tunnel, connected.proxy());
                                })
                            .compose(v -> Future.all(openerSaw, acceptorSaw))
                            .map(
                                seen ->
                                    new Outcome(
                                        seen.resultAt(0),
                                        seen.resultAt(1),
                                        Duration.ofNanos(System.nanoTime() - cutAt.get()),
                                        tunnel));
                      });
            })
        .onComplete(
            testContext.succeeding(
                outcome ->
                    testContext.verify(
                        () -> {
                          Tunnel tunnel = outcome.tunnel();
                          assertThat(outcome.elapsed()).isLessThan(PROMPT);
                          for (Observed observed :
                              new Observed[] {outcome.opener(), outcome.acceptor()}) {
                            assertThat(observed.streamError())
                                .isInstanceOf(TunnelClosedException.class);
                            assertThat(observed.writeError())
                                .isInstanceOf(TunnelClosedException.class);
                            assertThat(observed.reason().origin())
                                .isEqualTo(CloseReason.Origin.TRANSPORT);
                            assertThat(observed.reason().code())
                                .isEqualTo(ErrorCode.TRANSPORT_LOST.code());
                          }
                          assertThat(tunnel.opener().activeStreams()).isZero();
                          assertThat(tunnel.acceptor().activeStreams()).isZero();
                          testContext.completeNow();
                        })));
  }

  /** Stops reading and writes more than the peer's window, so writes stay queued. */
  private static Side stall(MuxStream stream) {
    stream.pause();
    Future<Void> last = null;
    for (int i = 0; i < WRITES; i++) {
      last = stream.write(Buffer.buffer(new byte[WRITE_SIZE]));
    }
    return new Side(stream, last);
  }

  private static Future<Observed> observe(Multiplexer mux, Side side) {
    Promise<Throwable> streamError = Promise.promise();
    Promise<CloseReason> closed = Promise.promise();
    side.stream().exceptionHandler(streamError::tryComplete);
    mux.closeHandler(closed::tryComplete);
    Future<Throwable> writeError =
        side.pendingWrite()
            .transform(
                ar ->
                    ar.failed()
                        ? Future.succeededFuture(ar.cause())
                        : Future.failedFuture("a pending write succeeded"));
    return Future.all(streamError.future(), writeError, closed.future())
        .map(all -> new Observed(all.resultAt(0), all.resultAt(1), all.resultAt(2)));
  }

  private static Future<Void> cut(Cut cut, Tunnel tunnel, TcpCutProxy proxy) {
    return switch (cut) {
      case API_SIDE_CLOSES_WEBSOCKET -> {
        tunnel.serverSocket().close();
        yield Future.succeededFuture();
      }
      case SANDBOX_SIDE_CLOSES_WEBSOCKET -> {
        tunnel.clientSocket().close();
        yield Future.succeededFuture();
      }
      case TCP_CONNECTION_CUT -> proxy.cutAll();
    };
  }
}
