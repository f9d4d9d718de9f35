package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.FrameCodec;
import io.porthole.tunnel.protocol.FrameType;
import io.porthole.tunnel.support.Conditions;
import io.porthole.tunnel.support.RawClient;
import io.porthole.tunnel.support.TunnelFixture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The batched transport mapping ({@code porthole-tunnel.v2}): several frames share one WebSocket
 * message when the handshake negotiated it, and never otherwise.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("Batched transport mapping")
class BatchedMappingTest {

  private static final FrameCodec CODEC = FrameCodec.create();

  @Test
  @DisplayName("frames of one message are all processed, and the replies share a message")
  void severalFramesInOneMessage(Vertx vertx, VertxTestContext testContext) {
    new TunnelFixture(vertx)
        .start()
        .compose(fixture -> fixture.connectRaw(true))
        .compose(
            raw ->
                raw.send(pings(1, 2, 3))
                    .compose(v -> acks(vertx, raw, 3))
                    .map(acks -> List.of(raw, acks)))
        .onComplete(
            testContext.succeeding(
                result ->
                    testContext.verify(
                        () -> {
                          RawClient raw = (RawClient) result.get(0);
                          assertThat(raw.batched()).isTrue();
                          @SuppressWarnings("unchecked")
                          List<Integer> in = (List<Integer>) result.get(1);
                          // three ACKs, produced while handling one message, leave in one
                          assertThat(in).hasSize(3);
                          assertThat(in.stream().distinct()).hasSize(1);
                          testContext.completeNow();
                        })));
  }

  @Test
  @DisplayName("a peer that did not offer the batched mapping gets one frame per message")
  void versionOnePeer(Vertx vertx, VertxTestContext testContext) {
    new TunnelFixture(vertx)
        .start()
        .compose(TunnelFixture::connectRaw)
        .compose(
            raw ->
                Future.all(
                        IntStream.rangeClosed(1, 3).mapToObj(i -> raw.send(Frame.ping(i))).toList())
                    .compose(v -> acks(vertx, raw, 3))
                    .map(acks -> List.of(raw, acks)))
        .onComplete(
            testContext.succeeding(
                result ->
                    testContext.verify(
                        () -> {
                          RawClient raw = (RawClient) result.get(0);
                          assertThat(raw.batched()).isFalse();
                          @SuppressWarnings("unchecked")
                          List<Integer> in = (List<Integer>) result.get(1);
                          // the raw client decodes each message as exactly one frame: a batch
                          // would have failed to decode instead of arriving as three ACKs
                          assertThat(in).doesNotHaveDuplicates();
                          assertThat(raw.goAway().failed()).isFalse();
                          testContext.completeNow();
                        })));
  }

  @Test
  @DisplayName("a batch ending in a truncated frame: the frames before it count, then GOAWAY")
  void truncatedTail(Vertx vertx, VertxTestContext testContext) {
    new TunnelFixture(vertx)
        .start()
        .compose(fixture -> fixture.connectRaw(true))
        .compose(
            raw -> {
              Buffer message = pings(7).appendBuffer(CODEC.encode(Frame.ping(8)), 0, 15);
              return raw.send(message)
                  .compose(v -> raw.goAway())
                  .map(goAway -> List.of(raw, goAway));
            })
        .onComplete(
            testContext.succeeding(
                result ->
                    testContext.verify(
                        () -> {
                          RawClient raw = (RawClient) result.get(0);
                          Frame goAway = (Frame) result.get(1);
                          assertThat(goAway.errorCode())
                              .isEqualTo(ErrorCode.FRAME_SIZE_ERROR.code());
                          assertThat(raw.received())
                              .anyMatch(f -> f.type() == FrameType.PING && f.pingData() == 7);
                          assertThat(raw.received())
                              .noneMatch(f -> f.type() == FrameType.PING && f.pingData() == 8);
                          testContext.completeNow();
                        })));
  }

  private static Buffer pings(long... opaque) {
    Buffer message = Buffer.buffer();
    for (long o : opaque) {
      message.appendBuffer(CODEC.encode(Frame.ping(o)));
    }
    return message;
  }

  /** Waits for {@code count} PING ACKs and returns the message number each came in. */
  private static Future<List<Integer>> acks(Vertx vertx, RawClient raw, int count) {
    return Conditions.eventually(
            vertx,
            count + " PING ACKs",
            Duration.ofSeconds(5),
            () -> ackIndexes(raw).size() >= count)
        .map(v -> ackIndexes(raw).stream().map(raw.receivedIn()::get).toList());
  }

  private static List<Integer> ackIndexes(RawClient raw) {
    List<Frame> received = raw.received();
    return IntStream.range(0, received.size())
        .filter(i -> received.get(i).type() == FrameType.PING && received.get(i).isAck())
        .boxed()
        .toList();
  }
}
