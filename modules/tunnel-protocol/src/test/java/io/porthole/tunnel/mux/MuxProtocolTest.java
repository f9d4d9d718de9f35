package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.FrameType;
import io.porthole.tunnel.support.Conditions;
import io.porthole.tunnel.support.InMemoryTransport;
import io.porthole.tunnel.support.RawPeer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Protocol rules of the multiplexer, checked against a hand-driven peer over an in-memory
 * transport: stream id rules, window enforcement, tolerated races, refusal, half-close lifecycle.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("Multiplexer protocol rules (in-memory peer)")
class MuxProtocolTest {

  private static final int WINDOW = MuxOptions.PROTOCOL_INITIAL_WINDOW;
  private static final int MAX_FRAME = MuxOptions.DEFAULT_MAX_FRAME_PAYLOAD;

  private record Setup(Multiplexer mux, RawPeer peer) {}

  private static Future<Setup> setup(Vertx vertx, Role role, MuxOptions options) {
    return InMemoryTransport.pair(vertx)
        .map(
            pair ->
                new Setup(Multiplexer.create(pair[0], role, options), new RawPeer(vertx, pair[1])));
  }

  @Test
  @DisplayName("an acceptor hands each OPEN to its stream handler with the metadata")
  void acceptorReceivesOpen(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.ACCEPTOR, new MuxOptions())
        .onComplete(
            testContext.succeeding(
                s -> {
                  s.mux()
                      .streamHandler(
                          stream ->
                              testContext.verify(
                                  () -> {
                                    assertThat(stream.id()).isEqualTo(3);
                                    assertThat(stream.metadata().toString())
                                        .isEqualTo("{\"port\":8080}");
                                    assertThat(s.mux().activeStreams()).isEqualTo(1);
                                    testContext.completeNow();
                                  }));
                  s.peer().send(Frame.open(3, Buffer.buffer("{\"port\":8080}")));
                }));
  }

  @Test
  @DisplayName("an OPEN whose stream id does not increase gets GOAWAY(PROTOCOL_ERROR)")
  void openIdsMustIncrease(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.ACCEPTOR, new MuxOptions())
        .onComplete(
            testContext.succeeding(
                s -> {
                  s.mux().streamHandler(stream -> {});
                  Promise<CloseReason> closed = Promise.promise();
                  s.mux().closeHandler(closed::tryComplete);
                  s.peer().send(Frame.open(5, Buffer.buffer()));
                  s.peer().send(Frame.open(3, Buffer.buffer()));

                  Future.all(
                          s.peer().await("GOAWAY", f -> f.type() == FrameType.GOAWAY),
                          closed.future())
                      .onComplete(
                          testContext.succeeding(
                              all ->
                                  testContext.verify(
                                      () -> {
                                        Frame goAway = all.resultAt(0);
                                        assertThat(goAway.errorCode())
                                            .isEqualTo(ErrorCode.PROTOCOL_ERROR.code());
                                        assertThat(goAway.reason())
                                            .contains("not greater than the previous 5");
                                        CloseReason reason = all.resultAt(1);
                                        assertThat(reason.origin())
                                            .isEqualTo(CloseReason.Origin.LOCAL);
                                        assertThat(s.mux().activeStreams()).isZero();
                                        testContext.completeNow();
                                      })));
                }));
  }

  @Test
  @DisplayName(
      "a paused stream buffers exactly its window, and one byte more is a flow-control error")
  void windowIsEnforced(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.ACCEPTOR, new MuxOptions())
        .onComplete(
            testContext.succeeding(
                s -> {
                  AtomicReference<MuxStream> accepted = new AtomicReference<>();
                  s.mux()
                      .streamHandler(
                          stream -> {
                            stream.pause();
                            stream.handler(b -> {});
                            accepted.set(stream);
                          });
                  s.peer().send(Frame.open(1, Buffer.buffer()));
                  for (int i = 0; i < WINDOW / MAX_FRAME; i++) {
                    s.peer().send(Frame.data(1, Buffer.buffer(new byte[MAX_FRAME])));
                  }
                  s.peer()
                      .roundTrip(1)
                      .compose(
                          ack -> {
                            testContext.verify(
                                () -> {
                                  assertThat(s.mux().isClosed()).isFalse();
                                  assertThat(accepted.get().bufferedInboundBytes())
                                      .isEqualTo(WINDOW);
                                });
                            return s.peer().send(Frame.data(1, Buffer.buffer("x")));
                          })
                      .compose(v -> s.peer().await("GOAWAY", f -> f.type() == FrameType.GOAWAY))
                      .onComplete(
                          testContext.succeeding(
                              goAway ->
                                  testContext.verify(
                                      () -> {
                                        assertThat(goAway.errorCode())
                                            .isEqualTo(ErrorCode.FLOW_CONTROL_ERROR.code());
                                        assertThat(goAway.reason())
                                            .contains("stream 1", "0 bytes of window left");
                                        testContext.completeNow();
                                      })));
                }));
  }

  @Test
  @DisplayName("consumed bytes are returned to the sender with WINDOW_UPDATE")
  void creditReturnedOnConsumption(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.ACCEPTOR, new MuxOptions())
        .onComplete(
            testContext.succeeding(
                s -> {
                  s.mux().streamHandler(stream -> stream.handler(b -> {}));
                  s.peer().send(Frame.open(1, Buffer.buffer()));
                  for (int i = 0; i < WINDOW / MAX_FRAME; i++) {
                    s.peer().send(Frame.data(1, Buffer.buffer(new byte[MAX_FRAME])));
                  }
                  s.peer()
                      .roundTrip(2)
                      .onComplete(
                          testContext.succeeding(
                              ack ->
                                  testContext.verify(
                                      () -> {
                                        long granted =
                                            s.peer().received().stream()
                                                .filter(f -> f.type() == FrameType.WINDOW_UPDATE)
                                                .mapToLong(Frame::windowIncrement)
                                                .sum();
                                        assertThat(granted).isEqualTo(WINDOW);
                                        testContext.completeNow();
                                      })));
                }));
  }

  @Test
  @DisplayName("a window above the protocol default is granted by WINDOW_UPDATE right after OPEN")
  void largerWindowGranted(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.ACCEPTOR, new MuxOptions().setInitialWindowSize(1024 * 1024))
        .onComplete(
            testContext.succeeding(
                s -> {
                  s.mux().streamHandler(stream -> stream.pause());
                  s.peer().send(Frame.open(1, Buffer.buffer()));
                  s.peer()
                      .await("WINDOW_UPDATE", f -> f.type() == FrameType.WINDOW_UPDATE)
                      .onComplete(
                          testContext.succeeding(
                              update ->
                                  testContext.verify(
                                      () -> {
                                        assertThat(update.streamId()).isEqualTo(1);
                                        assertThat(update.windowIncrement())
                                            .isEqualTo(1024 * 1024 - WINDOW);
                                        testContext.completeNow();
                                      })));
                }));
  }

  @Test
  @DisplayName("frames racing with a local RESET are ignored, not treated as errors")
  void framesAfterLocalResetTolerated(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.ACCEPTOR, new MuxOptions())
        .onComplete(
            testContext.succeeding(
                s -> {
                  s.mux()
                      .streamHandler(
                          stream -> stream.reset(ErrorCode.CONNECT_FAILED.code(), "port closed"));
                  s.peer().send(Frame.open(1, Buffer.buffer()));
                  s.peer()
                      .await("RESET", f -> f.type() == FrameType.RESET)
                      .compose(
                          reset -> {
                            testContext.verify(
                                () -> {
                                  assertThat(reset.errorCode())
                                      .isEqualTo(ErrorCode.CONNECT_FAILED.code());
                                  assertThat(reset.reason()).isEqualTo("port closed");
                                });
                            s.peer().send(Frame.data(1, Buffer.buffer("late data")));
                            s.peer().send(Frame.windowUpdate(1, 1000));
                            s.peer().send(Frame.halfClose(1));
                            s.peer().send(Frame.reset(1, ErrorCode.CANCEL.code(), "crossed"));
                            return s.peer().roundTrip(3);
                          })
                      .onComplete(
                          testContext.succeeding(
                              ack ->
                                  testContext.verify(
                                      () -> {
                                        assertThat(s.mux().isClosed()).isFalse();
                                        assertThat(s.mux().activeStreams()).isZero();
                                        assertThat(s.peer().received())
                                            .noneMatch(f -> f.type() == FrameType.GOAWAY);
                                        testContext.completeNow();
                                      })));
                }));
  }

  @Test
  @DisplayName("DATA for a stream id that was never opened gets GOAWAY(PROTOCOL_ERROR)")
  void dataForUnknownStream(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.ACCEPTOR, new MuxOptions())
        .onComplete(
            testContext.succeeding(
                s -> {
                  s.mux().streamHandler(stream -> {});
                  s.peer().send(Frame.open(1, Buffer.buffer()));
                  s.peer().send(Frame.data(9, Buffer.buffer("who?")));
                  s.peer()
                      .await("GOAWAY", f -> f.type() == FrameType.GOAWAY)
                      .onComplete(
                          testContext.succeeding(
                              goAway ->
                                  testContext.verify(
                                      () -> {
                                        assertThat(goAway.errorCode())
                                            .isEqualTo(ErrorCode.PROTOCOL_ERROR.code());
                                        assertThat(goAway.reason())
                                            .contains("stream 9 which was never opened");
                                        assertThat(s.mux().isClosed()).isTrue();
                                        testContext.completeNow();
                                      })));
                }));
  }

  @Test
  @DisplayName("the opener treats an OPEN from its peer as a protocol error")
  void openerRejectsOpen(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.OPENER, new MuxOptions())
        .onComplete(
            testContext.succeeding(
                s -> {
                  s.peer().send(Frame.open(2, Buffer.buffer()));
                  s.peer()
                      .await("GOAWAY", f -> f.type() == FrameType.GOAWAY)
                      .onComplete(
                          testContext.succeeding(
                              goAway ->
                                  testContext.verify(
                                      () -> {
                                        assertThat(goAway.reason())
                                            .contains("sent to the opener side");
                                        testContext.completeNow();
                                      })));
                }));
  }

  @Test
  @DisplayName("OPENs beyond maxConcurrentStreams are refused with RESET(REFUSED_STREAM)")
  void refusesBeyondLimit(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.ACCEPTOR, new MuxOptions().setMaxConcurrentStreams(2))
        .onComplete(
            testContext.succeeding(
                s -> {
                  s.mux().streamHandler(stream -> {});
                  s.peer().send(Frame.open(1, Buffer.buffer()));
                  s.peer().send(Frame.open(2, Buffer.buffer()));
                  s.peer().send(Frame.open(3, Buffer.buffer()));
                  s.peer()
                      .await("RESET", f -> f.type() == FrameType.RESET)
                      .compose(reset -> s.peer().roundTrip(4).map(reset))
                      .onComplete(
                          testContext.succeeding(
                              reset ->
                                  testContext.verify(
                                      () -> {
                                        assertThat(reset.streamId()).isEqualTo(3);
                                        assertThat(reset.errorCode())
                                            .isEqualTo(ErrorCode.REFUSED_STREAM.code());
                                        assertThat(s.mux().activeStreams()).isEqualTo(2);
                                        assertThat(s.mux().isClosed()).isFalse();
                                        testContext.completeNow();
                                      })));
                }));
  }

  @Test
  @DisplayName("the opener sends exactly the peer's window, then waits for WINDOW_UPDATE credit")
  void openerRespectsPeerWindow(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.OPENER, new MuxOptions())
        .onComplete(
            testContext.succeeding(
                s -> {
                  int total = 1024 * 1024;
                  s.mux()
                      .open(Buffer.buffer("meta"))
                      .compose(
                          stream -> {
                            Future<Void> lastWrite = stream.write(Buffer.buffer(new byte[total]));
                            // the write may land on the tunnel's context a moment later
                            return Conditions.eventually(
                                    vertx,
                                    "write queue full",
                                    Duration.ofSeconds(5),
                                    stream::writeQueueFull)
                                .compose(
                                    v ->
                                        Conditions.eventually(
                                            vertx,
                                            "window sent",
                                            Duration.ofSeconds(5),
                                            () -> s.peer().dataBytes(1) == WINDOW))
                                .compose(v -> Conditions.after(vertx, Duration.ofMillis(200)))
                                .compose(
                                    v -> {
                                      testContext.verify(
                                          () -> {
                                            assertThat(s.peer().dataBytes(1)).isEqualTo(WINDOW);
                                            assertThat(lastWrite.isComplete()).isFalse();
                                            assertThat(stream.queuedOutboundBytes())
                                                .isEqualTo(total - WINDOW);
                                          });
                                      return s.peer().send(Frame.windowUpdate(1, 100_000));
                                    })
                                .compose(
                                    v ->
                                        Conditions.eventually(
                                            vertx,
                                            "credit used",
                                            Duration.ofSeconds(5),
                                            () -> s.peer().dataBytes(1) == WINDOW + 100_000))
                                .compose(v -> s.peer().roundTrip(5))
                                .map(v -> stream);
                          })
                      .onComplete(
                          testContext.succeeding(
                              stream ->
                                  testContext.verify(
                                      () -> {
                                        assertThat(s.peer().dataBytes(1))
                                            .isEqualTo(WINDOW + 100_000);
                                        assertThat(stream.bytesSent()).isEqualTo(WINDOW + 100_000);
                                        testContext.completeNow();
                                      })));
                }));
  }

  @Test
  @DisplayName("a stream leaves the table once both sides half-closed, after delivering its end")
  void halfCloseLifecycle(Vertx vertx, VertxTestContext testContext) {
    setup(vertx, Role.OPENER, new MuxOptions())
        .onComplete(
            testContext.succeeding(
                s -> {
                  Checkpoint ended = testContext.checkpoint();
                  Checkpoint verified = testContext.checkpoint();
                  Buffer received = Buffer.buffer();
                  s.mux()
                      .open(Buffer.buffer())
                      .compose(
                          stream -> {
                            stream.handler(received::appendBuffer);
                            stream.endHandler(v -> ended.flag());
                            return stream.end().map(stream);
                          })
                      .compose(
                          stream ->
                              s.peer()
                                  .await("HALF_CLOSE", f -> f.type() == FrameType.HALF_CLOSE)
                                  .compose(
                                      hc -> {
                                        testContext.verify(
                                            () -> assertThat(s.mux().activeStreams()).isEqualTo(1));
                                        s.peer().send(Frame.data(1, Buffer.buffer("bye")));
                                        return s.peer().send(Frame.halfClose(1));
                                      })
                                  .compose(
                                      v ->
                                          Conditions.eventually(
                                              vertx,
                                              "stream table empty",
                                              Duration.ofSeconds(5),
                                              () -> s.mux().activeStreams() == 0))
                                  .compose(v -> stream.write(Buffer.buffer("too late")))
                                  .transform(ar -> Future.succeededFuture(ar.cause())))
                      .onComplete(
                          testContext.succeeding(
                              writeFailure ->
                                  testContext.verify(
                                      () -> {
                                        assertThat(writeFailure)
                                            .isInstanceOf(IllegalStateException.class)
                                            .hasMessageContaining("already ended");
                                        assertThat(received.toString()).isEqualTo("bye");
                                        assertThat(s.mux().activeStreams()).isZero();
                                        verified.flag();
                                      })));
                }));
  }
}
