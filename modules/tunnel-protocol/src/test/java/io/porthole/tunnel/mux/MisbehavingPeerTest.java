package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.FrameCodec;
import io.porthole.tunnel.support.RawClient;
import io.porthole.tunnel.support.StreamReads;
import io.porthole.tunnel.support.TunnelFixture;
import io.porthole.tunnel.support.TunnelFixture.Tunnel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A raw WebSocket client misbehaves against the API-side server: that connection gets a GOAWAY with
 * a reason and is closed, and a well-behaved tunnel on the same server keeps working.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("Misbehaving peers")
class MisbehavingPeerTest {

  private static final int MAX = FrameCodec.DEFAULT_MAX_FRAME_PAYLOAD;

  enum Misbehaviour {
    BAD_VERSION(raw -> raw.send(header(9, 0x02, 1, 0)), ErrorCode.UNSUPPORTED_VERSION, "version 9"),
    UNKNOWN_TYPE(raw -> raw.send(header(1, 0x7E, 1, 0)), ErrorCode.PROTOCOL_ERROR, "type 0x7e"),
    LENGTH_MISMATCH(
        raw -> raw.send(header(1, 0x02, 1, 100).appendString("only this")),
        ErrorCode.FRAME_SIZE_ERROR,
        "length field says 100"),
    OVERSIZED_FRAME(
        raw -> raw.send(header(1, 0x02, 1, MAX + 1).appendBytes(new byte[MAX + 1])),
        ErrorCode.FRAME_SIZE_ERROR,
        "exceeds the maximum of " + MAX),
    DATA_ON_UNKNOWN_STREAM(
        raw -> raw.send(Frame.data(77, Buffer.buffer("hello?"))),
        ErrorCode.PROTOCOL_ERROR,
        "stream 77 which was never opened"),
    OPEN_SENT_TO_OPENER(
        raw -> raw.send(Frame.open(1, Buffer.buffer())),
        ErrorCode.PROTOCOL_ERROR,
        "sent to the opener side"),
    TEXT_MESSAGE(raw -> raw.sendText("{\"hello\":1}"), ErrorCode.PROTOCOL_ERROR, "text WebSocket"),
    MALFORMED_CONTROL(
        raw -> raw.send(Frame.control(Buffer.buffer("[1,2,3]"))),
        ErrorCode.PROTOCOL_ERROR,
        "malformed CONTROL");

    final Function<RawClient, Future<Void>> action;
    final ErrorCode code;
    final String reason;

    Misbehaviour(Function<RawClient, Future<Void>> action, ErrorCode code, String reason) {
      this.action = action;
      this.code = code;
      this.reason = reason;
    }
  }

  private record Outcome(Frame goAway, CloseReason serverReason, Buffer echo, Tunnel good) {}

  @ParameterizedTest
  @EnumSource(Misbehaviour.class)
  @DisplayName("the offender gets GOAWAY with a reason and is closed; other tunnels keep working")
  void offenderIsDisconnected(Misbehaviour bad, Vertx vertx, VertxTestContext testContext) {
    TunnelFixture fixture = new TunnelFixture(vertx);
    fixture
        .start()
        .compose(f -> f.connect(stream -> stream.pipeTo(stream)))
        .compose(
            good ->
                fixture
                    .connectRaw()
                    .compose(
                        raw ->
                            bad.action
                                .apply(raw)
                                .compose(v -> disconnected(raw))
                                .compose(
                                    outcome ->
                                        echo(good, "still alive")
                                            .map(
                                                echo ->
                                                    new Outcome(
                                                        outcome.goAway(),
                                                        outcome.serverReason(),
                                                        echo,
                                                        good)))))
        .onComplete(
            testContext.succeeding(
                outcome ->
                    testContext.verify(
                        () -> {
                          assertThat(outcome.goAway().errorCode()).isEqualTo(bad.code.code());
                          assertThat(outcome.goAway().reason()).contains(bad.reason);
                          assertThat(outcome.serverReason().origin())
                              .isEqualTo(CloseReason.Origin.LOCAL);
                          assertThat(outcome.serverReason().code()).isEqualTo(bad.code.code());
                          assertThat(outcome.echo().toString()).isEqualTo("still alive");
                          assertThat(outcome.good().opener().isClosed()).isFalse();
                          testContext.completeNow();
                        })));
  }

  private record Violation(Outcome outcome, Throwable streamError) {}

  @Test
  @DisplayName("a peer sending beyond its window gets GOAWAY(FLOW_CONTROL_ERROR)")
  void windowViolation(Vertx vertx, VertxTestContext testContext) {
    TunnelFixture fixture = new TunnelFixture(vertx);
    Promise<Throwable> streamError = Promise.promise();
    fixture
        .start()
        .compose(TunnelFixture::connectRaw)
        .compose(
            raw ->
                raw.serverSide()
                    .compose(side -> side.mux().open(Buffer.buffer("{\"port\":3000}")))
                    .compose(
                        stream -> {
                          // the API side does not read, so it grants no more than the window
                          stream.pause();
                          stream.exceptionHandler(streamError::tryComplete);
                          return raw.firstOpen();
                        })
                    .compose(
                        open -> {
                          int frames = MuxOptions.PROTOCOL_INITIAL_WINDOW / MAX + 1;
                          for (int i = 0; i < frames; i++) {
                            raw.send(Frame.data(open.streamId(), Buffer.buffer(new byte[MAX])));
                          }
                          return disconnected(raw);
                        }))
        .compose(outcome -> streamError.future().map(error -> new Violation(outcome, error)))
        .onComplete(
            testContext.succeeding(
                violation ->
                    testContext.verify(
                        () -> {
                          Frame goAway = violation.outcome().goAway();
                          assertThat(goAway.errorCode())
                              .isEqualTo(ErrorCode.FLOW_CONTROL_ERROR.code());
                          assertThat(goAway.reason()).contains("window");
                          assertThat(violation.streamError())
                              .isInstanceOf(TunnelClosedException.class);
                          testContext.completeNow();
                        })));
  }

  /** Waits for the GOAWAY, the socket close and the server side's close reason. */
  private static Future<Outcome> disconnected(RawClient raw) {
    Future<CloseReason> serverReason =
        raw.serverSide()
            .compose(
                side -> {
                  Promise<CloseReason> reason = Promise.promise();
                  side.mux().closeHandler(reason::tryComplete);
                  return reason.future();
                });
    return Future.all(raw.goAway(), raw.closed(), serverReason)
        .map(all -> new Outcome(all.resultAt(0), all.resultAt(2), null, null));
  }

  private static Future<Buffer> echo(Tunnel tunnel, String text) {
    return tunnel
        .opener()
        .open(Buffer.buffer("echo"))
        .compose(
            stream -> {
              Future<Buffer> echoed = StreamReads.collect(stream);
              stream.end(Buffer.buffer(text));
              return echoed;
            });
  }

  private static Buffer header(int version, int type, int streamId, int length) {
    return Buffer.buffer()
        .appendByte((byte) version)
        .appendByte((byte) type)
        .appendByte((byte) 0)
        .appendByte((byte) 0)
        .appendInt(streamId)
        .appendInt(length);
  }
}
