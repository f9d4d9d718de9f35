package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.support.Conditions;
import io.porthole.tunnel.support.TunnelFixture;
import io.porthole.tunnel.support.TunnelFixture.Tunnel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@ExtendWith(VertxExtension.class)
@DisplayName("Many concurrent streams over one WebSocket tunnel")
class ConcurrentStreamsTest {

  private static final Logger log = LoggerFactory.getLogger(ConcurrentStreamsTest.class);

  private static final int STREAMS = 2_000;
  private static final int PAYLOAD = 4 * 1024;

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  @DisplayName("2,000 concurrent streams each echo 4 KiB intact and both stream tables end empty")
  void concurrentEcho(Vertx vertx, VertxTestContext testContext) {
    MuxOptions options = new MuxOptions().setMaxConcurrentStreams(STREAMS + 96);
    TunnelFixture fixture = new TunnelFixture(vertx, options, options);
    List<Buffer> payloads = payloads();
    long started = System.nanoTime();
    fixture
        .start()
        .compose(f -> f.connect(stream -> stream.pipeTo(stream)))
        .compose(
            tunnel ->
                echoAll(tunnel, payloads)
                    .compose(
                        mismatches ->
                            Conditions.eventually(
                                    vertx,
                                    "both stream tables empty",
                                    Duration.ofSeconds(10),
                                    () ->
                                        tunnel.opener().activeStreams() == 0
                                            && tunnel.acceptor().activeStreams() == 0)
                                .map(mismatches)))
        .onComplete(
            testContext.succeeding(
                mismatches ->
                    testContext.verify(
                        () -> {
                          log.info(
                              "{} streams x {} bytes echoed in {} ms",
                              STREAMS,
                              PAYLOAD,
                              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                          assertThat(mismatches).isEmpty();
                          testContext.completeNow();
                        })));
  }

  /** 8 MiB of random payloads, made before the test starts rather than on its event loop. */
  private static List<Buffer> payloads() {
    Random random = new Random(42);
    List<Buffer> out = new ArrayList<>(STREAMS);
    for (int i = 0; i < STREAMS; i++) {
      byte[] bytes = new byte[PAYLOAD];
      random.nextBytes(bytes);
      out.add(Buffer.buffer(bytes));
    }
    return out;
  }

  /** Opens every stream at once; yields the ids whose echo differed from what was sent. */
  private static Future<List<Integer>> echoAll(Tunnel tunnel, List<Buffer> payloads) {
    List<Future<Integer>> results = new ArrayList<>(STREAMS);
    for (int i = 0; i < STREAMS; i++) {
      Buffer payload = payloads.get(i);
      JsonObject meta = new JsonObject().put("index", i);
      results.add(
          tunnel.opener().open(meta.toBuffer()).compose(stream -> echoOnce(stream, payload)));
    }
    return Future.all(results)
        .map(
            all -> {
              List<Integer> mismatches = new ArrayList<>();
              for (int i = 0; i < STREAMS; i++) {
                if (all.<Integer>resultAt(i) != 0) {
                  mismatches.add(i);
                }
              }
              return mismatches;
            });
  }

  /** Writes {@code payload}, half-closes, and compares the echo: 0 if identical, else 1. */
  private static Future<Integer> echoOnce(MuxStream stream, Buffer payload) {
    Promise<Integer> result = Promise.promise();
    Buffer echoed = Buffer.buffer(PAYLOAD);
    stream.handler(echoed::appendBuffer);
    stream.exceptionHandler(result::tryFail);
    stream.endHandler(v -> result.tryComplete(echoed.equals(payload) ? 0 : 1));
    stream.end(payload).onFailure(result::tryFail);
    return result.future();
  }
}
