package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.support.Conditions;
import io.porthole.tunnel.support.GeneratedSource;
import io.porthole.tunnel.support.StreamReads;
import io.porthole.tunnel.support.StreamReads.Summary;
import io.porthole.tunnel.support.TunnelFixture;
import io.porthole.tunnel.support.TunnelFixture.Tunnel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@ExtendWith(VertxExtension.class)
@DisplayName("Per-stream flow control on a shared tunnel")
class FlowControlFairnessTest {

  private static final Logger log = LoggerFactory.getLogger(FlowControlFairnessTest.class);

  private static final long FAST_TOTAL = 64L * 1024 * 1024;
  private static final long SLOW_TOTAL = 16L * 1024 * 1024;
  private static final int CHUNK = 64 * 1024;
  private static final long WINDOW = MuxOptions.DEFAULT_INITIAL_WINDOW_SIZE;

  private record Sent(long fastChecksum, long slowChecksum) {}

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  @DisplayName("a slow reader neither stalls a fast stream nor buffers more than its window")
  void slowReaderDoesNotStallFastStream(Vertx vertx, VertxTestContext testContext) {
    Promise<Summary> fastReceived = Promise.promise();
    Promise<Summary> slowReceived = Promise.promise();
    AtomicLong slowMaxBuffered = new AtomicLong();
    AtomicLong slowDeliveredWhenFastDone = new AtomicLong(-1);
    Promise<MuxStream> slowStream = Promise.promise();

    TunnelFixture fixture = new TunnelFixture(vertx);
    fixture
        .start()
        .compose(
            f ->
                f.connect(
                    stream -> {
                      if (stream.metadata().toString().equals("slow")) {
                        readSlowly(vertx, stream, slowMaxBuffered, slowReceived);
                        slowStream.complete(stream);
                      } else {
                        StreamReads.summarize(stream)
                            .onComplete(
                                ar -> {
                                  MuxStream slow = slowStream.future().result();
                                  slowDeliveredWhenFastDone.set(
                                      slow.bytesReceived() - slow.bufferedInboundBytes());
                                  // the fast transfer is over: let the slow reader catch up
                                  slow.resume();
                                  fastReceived.handle(ar);
                                  stream.end();
                                });
                      }
                    }))
        .compose(
            tunnel ->
                send(tunnel)
                    .compose(
                        sent ->
                            Future.all(fastReceived.future(), slowReceived.future())
                                .compose(
                                    all ->
                                        Conditions.eventually(
                                            vertx,
                                            "stream tables empty",
                                            Duration.ofSeconds(5),
                                            () ->
                                                tunnel.opener().activeStreams() == 0
                                                    && tunnel.acceptor().activeStreams() == 0))
                                .map(sent)))
        .onComplete(
            testContext.succeeding(
                sent ->
                    testContext.verify(
                        () -> {
                          Summary fast = fastReceived.future().result();
                          Summary slow = slowReceived.future().result();
                          log.info(
                              "slow stream had {} of {} bytes when the fast one finished;"
                                  + " max buffered {}",
                              slowDeliveredWhenFastDone.get(),
                              SLOW_TOTAL,
                              slowMaxBuffered.get());
                          assertThat(fast.bytes()).isEqualTo(FAST_TOTAL);
                          assertThat(fast.checksum()).isEqualTo(sent.fastChecksum());
                          assertThat(slowDeliveredWhenFastDone.get()).isBetween(0L, SLOW_TOTAL / 4);
                          assertThat(slowMaxBuffered.get())
                              .isPositive()
                              .isLessThanOrEqualTo(WINDOW);
                          assertThat(slow.bytes()).isEqualTo(SLOW_TOTAL);
                          assertThat(slow.checksum()).isEqualTo(sent.slowChecksum());
                          testContext.completeNow();
                        })));
  }

  /** Paused; takes one buffer every 100 ms, checking the buffered bytes each time. */
  private static void readSlowly(
      Vertx vertx, MuxStream stream, AtomicLong maxBuffered, Promise<Summary> received) {
    stream.pause();
    long timer =
        vertx.setPeriodic(
            100,
            id -> {
              maxBuffered.accumulateAndGet(stream.bufferedInboundBytes(), Math::max);
              stream.fetch(1);
            });
    StreamReads.summarize(
            stream, chunk -> maxBuffered.accumulateAndGet(stream.bufferedInboundBytes(), Math::max))
        .onComplete(
            ar -> {
              vertx.cancelTimer(timer);
              received.handle(ar);
              stream.end();
            });
  }

  /** Opens "slow" then "fast" and pipes generated bytes into both; yields their checksums. */
  private static Future<Sent> send(Tunnel tunnel) {
    Multiplexer opener = tunnel.opener();
    Promise<Sent> sent = Promise.promise();
    opener
        .context()
        .runOnContext(
            v -> {
              Future<Long> slow = pipe(opener, "slow", SLOW_TOTAL);
              Future<Long> fast = pipe(opener, "fast", FAST_TOTAL);
              Future.all(slow, fast)
                  .map(all -> new Sent(fast.result(), slow.result()))
                  .onComplete(sent);
            });
    return sent.future();
  }

  private static Future<Long> pipe(Multiplexer opener, String name, long total) {
    return opener
        .open(Buffer.buffer(name))
        .compose(
            stream -> {
              GeneratedSource source = new GeneratedSource(opener.context(), total, CHUNK);
              return source.pipeTo(stream).map(v -> source.checksum());
            });
  }
}
