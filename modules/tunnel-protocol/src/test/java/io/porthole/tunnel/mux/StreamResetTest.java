package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.protocol.ErrorCode;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Stream reset")
class StreamResetTest {

  private static final long TOTAL = 8L * 1024 * 1024;
  private static final int CHUNK = 32 * 1024;

  /** How one opener-side stream ended up. */
  private record Result(String name, Summary echo, long sentChecksum, Throwable failure) {}

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  @DisplayName("resetting one stream mid-transfer leaves its neighbours' transfers intact")
  void resetIsolated(Vertx vertx, VertxTestContext testContext) {
    Map<String, Throwable> acceptorFailures = new ConcurrentHashMap<>();
    TunnelFixture fixture = new TunnelFixture(vertx);
    fixture
        .start()
        .compose(
            f ->
                f.connect(
                    stream ->
                        stream
                            .pipeTo(stream)
                            .onFailure(
                                err -> acceptorFailures.put(stream.metadata().toString(), err))))
        .compose(
            tunnel ->
                transfers(tunnel)
                    .compose(
                        results ->
                            Conditions.eventually(
                                    vertx,
                                    "reset seen by the sandbox side and tables empty",
                                    Duration.ofSeconds(5),
                                    () ->
                                        acceptorFailures.containsKey("b")
                                            && tunnel.opener().activeStreams() == 0
                                            && tunnel.acceptor().activeStreams() == 0)
                                .map(results)))
        .onComplete(
            testContext.succeeding(
                results ->
                    testContext.verify(
                        () -> {
                          for (Result r : results) {
                            if (r.name().equals("b")) {
                              assertThat(r.failure()).isInstanceOf(StreamResetException.class);
                              assertThat(((StreamResetException) r.failure()).remote()).isFalse();
                            } else {
                              assertThat(r.failure()).isNull();
                              assertThat(r.echo().bytes()).isEqualTo(TOTAL);
                              assertThat(r.echo().checksum()).isEqualTo(r.sentChecksum());
                            }
                          }
                          Throwable seen = acceptorFailures.get("b");
                          assertThat(seen).isInstanceOf(StreamResetException.class);
                          StreamResetException reset = (StreamResetException) seen;
                          assertThat(reset.remote()).isTrue();
                          assertThat(reset.code()).isEqualTo(ErrorCode.CANCEL.code());
                          assertThat(acceptorFailures).containsOnlyKeys("b");
                          testContext.completeNow();
                        })));
  }

  @Test
  @DisplayName("the sandbox side can refuse one stream with an application reason")
  void acceptorRefusesOne(Vertx vertx, VertxTestContext testContext) {
    TunnelFixture fixture = new TunnelFixture(vertx);
    fixture
        .start()
        .compose(
            f ->
                f.connect(
                    stream -> {
                      if (stream.metadata().toString().equals("port-9")) {
                        stream.reset(ErrorCode.CONNECT_FAILED.code(), "connection refused");
                      } else {
                        stream.pipeTo(stream);
                      }
                    }))
        .compose(
            tunnel -> {
              Future<Buffer> first = echo(tunnel, "port-3000", "one");
              Future<Buffer> refused = echo(tunnel, "port-9", "never");
              Future<Buffer> third = echo(tunnel, "port-3001", "three");
              return Future.join(first, refused, third)
                  .transform(ar -> Future.succeededFuture(List.of(first, refused, third)));
            })
        .onComplete(
            testContext.succeeding(
                futures ->
                    testContext.verify(
                        () -> {
                          assertThat(futures.get(0).result().toString()).isEqualTo("one");
                          assertThat(futures.get(2).result().toString()).isEqualTo("three");
                          Throwable refusal = futures.get(1).cause();
                          assertThat(refusal)
                              .isInstanceOf(StreamResetException.class)
                              .hasMessageContaining("connection refused");
                          StreamResetException reset = (StreamResetException) refusal;
                          assertThat(reset.remote()).isTrue();
                          assertThat(reset.code()).isEqualTo(ErrorCode.CONNECT_FAILED.code());
                          testContext.completeNow();
                        })));
  }

  /** Three streams echo 8 MiB each; stream "b" is reset once 1 MiB came back. */
  private static Future<List<Result>> transfers(Tunnel tunnel) {
    Multiplexer opener = tunnel.opener();
    Promise<List<Result>> done = Promise.promise();
    opener
        .context()
        .runOnContext(
            v -> {
              Future<Result> a = transfer(opener, "a");
              Future<Result> b = transfer(opener, "b");
              Future<Result> c = transfer(opener, "c");
              Future.all(a, b, c)
                  .map(all -> List.of(a.result(), b.result(), c.result()))
                  .onComplete(done);
            });
    return done.future();
  }

  private static Future<Result> transfer(Multiplexer opener, String name) {
    return opener
        .open(Buffer.buffer(name))
        .compose(
            stream -> {
              GeneratedSource source = new GeneratedSource(opener.context(), TOTAL, CHUNK);
              Future<Summary> echo =
                  StreamReads.summarize(
                      stream,
                      chunk -> {
                        if (name.equals("b") && stream.bytesReceived() >= 1024 * 1024) {
                          stream.reset();
                        }
                      });
              Future<Void> sent = source.pipeTo(stream);
              return Future.join(echo, sent)
                  .transform(
                      ar ->
                          Future.succeededFuture(
                              new Result(
                                  name,
                                  echo.succeeded() ? echo.result() : null,
                                  source.checksum(),
                                  echo.failed() ? echo.cause() : sent.cause())));
            });
  }

  private static Future<Buffer> echo(Tunnel tunnel, String target, String text) {
    return tunnel
        .opener()
        .open(Buffer.buffer(target))
        .compose(
            stream -> {
              Future<Buffer> echoed = StreamReads.collect(stream);
              stream.end(Buffer.buffer(text));
              return echoed;
            });
  }
}
