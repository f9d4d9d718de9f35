package io.porthole.tunnel.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.support.Contexts;
import io.porthole.tunnel.support.GeneratedSource;
import io.porthole.tunnel.support.InMemoryTransport;
import io.porthole.tunnel.support.StreamReads;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Calls from other threads")
class ThreadingTest {

  private static final int THREADS = 4;
  private static final int WRITES_PER_THREAD = 500;
  private static final int RECORD = 16;

  private record Pair(Multiplexer opener, Multiplexer acceptor) {}

  private static Future<Pair> pair(Vertx vertx, MuxOptions options) {
    return InMemoryTransport.pair(vertx)
        .map(
            ends ->
                new Pair(
                    Multiplexer.create(ends[0], Role.OPENER, options),
                    Multiplexer.create(ends[1], Role.ACCEPTOR, options)));
  }

  @Test
  @DisplayName("writes from several worker threads at once all arrive, each thread's in order")
  void concurrentWritersAreSerialized(Vertx vertx, VertxTestContext testContext) {
    Promise<Buffer> received = Promise.promise();
    pair(vertx, new MuxOptions())
        .compose(
            p -> {
              p.acceptor()
                  .streamHandler(stream -> StreamReads.collect(stream).onComplete(received));
              return p.opener().open(Buffer.buffer("threads"));
            })
        .compose(
            stream -> {
              List<Future<Void>> writers = new ArrayList<>();
              for (int t = 0; t < THREADS; t++) {
                int thread = t;
                writers.add(
                    vertx
                        .executeBlocking(() -> writeAll(stream, thread), false)
                        .compose(Future::all)
                        .mapEmpty());
              }
              return Future.all(writers).compose(v -> stream.end());
            })
        .compose(v -> received.future())
        .onComplete(
            testContext.succeeding(
                all ->
                    testContext.verify(
                        () -> {
                          assertThat(all.length()).isEqualTo(THREADS * WRITES_PER_THREAD * RECORD);
                          Map<Integer, Integer> next = new HashMap<>();
                          for (int i = 0; i < all.length(); i += RECORD) {
                            String[] parts = all.getString(i, i + RECORD).trim().split(":");
                            int thread = Integer.parseInt(parts[0]);
                            int seq = Integer.parseInt(parts[1]);
                            assertThat(seq).isEqualTo(next.getOrDefault(thread, 0));
                            next.put(thread, seq + 1);
                          }
                          assertThat(next)
                              .hasSize(THREADS)
                              .allSatisfy((t, n) -> assertThat(n).isEqualTo(WRITES_PER_THREAD));
                          testContext.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "a stream opened on another event loop runs its handlers and futures there, and a pipe"
          + " through it with a tiny write queue never loses a drain")
  void streamsBelongToTheirOpener(Vertx vertx, VertxTestContext testContext) {
    long total = 8L * 1024 * 1024;
    Set<String> foreign = ConcurrentHashMap.newKeySet();
    pair(vertx, new MuxOptions())
        .compose(
            p -> {
              // the sandbox side echoes everything back
              p.acceptor().streamHandler(stream -> stream.pipeTo(stream));
              return Contexts.newEventLoop(vertx).map(owner -> new Object[] {p, owner});
            })
        .compose(
            parts -> {
              Pair p = (Pair) parts[0];
              Context owner = (Context) parts[1];
              Promise<StreamReads.Summary> echoed = Promise.promise();
              Promise<Long> sent = Promise.promise();
              owner.runOnContext(
                  v -> {
                    Thread mine = Thread.currentThread();
                    Runnable check =
                        () -> {
                          if (Thread.currentThread() != mine) {
                            foreign.add(Thread.currentThread().getName());
                          }
                        };
                    p.opener()
                        .open(Buffer.buffer("owned"))
                        .onComplete(
                            testContext.succeeding(
                                stream -> {
                                  check.run();
                                  assertThat(p.opener().context().owner()).isSameAs(vertx);
                                  stream.setWriteQueueMaxSize(1024);
                                  stream.drainHandler(x -> check.run());
                                  GeneratedSource source =
                                      new GeneratedSource(owner, total, 16 * 1024);
                                  source
                                      .pipeTo(stream)
                                      .onComplete(
                                          ar -> {
                                            check.run();
                                            sent.handle(ar.map(x -> source.checksum()));
                                          });
                                  StreamReads.summarize(stream, chunk -> check.run())
                                      .onComplete(echoed);
                                }));
                  });
              return Future.all(sent.future(), echoed.future())
                  .map(
                      all ->
                          new long[] {
                            all.<Long>resultAt(0),
                            all.<StreamReads.Summary>resultAt(1).bytes(),
                            all.<StreamReads.Summary>resultAt(1).checksum()
                          });
            })
        .onComplete(
            testContext.succeeding(
                r ->
                    testContext.verify(
                        () -> {
                          assertThat(r[1]).isEqualTo(total);
                          assertThat(r[2]).isEqualTo(r[0]);
                          assertThat(foreign).as("handlers run on other threads").isEmpty();
                          testContext.completeNow();
                        })));
  }

  private record Refusals(Pair pair, Throwable overLimit, Throwable fromAcceptor) {}

  @Test
  @DisplayName("the opener enforces its concurrency limit and the acceptor cannot open streams")
  void openRules(Vertx vertx, VertxTestContext testContext) {
    pair(vertx, new MuxOptions().setMaxConcurrentStreams(2))
        .compose(
            p -> {
              p.acceptor().streamHandler(stream -> {});
              return Future.all(p.opener().open(null), p.opener().open(null))
                  .compose(two -> failureOf(p.opener().open(null)))
                  .compose(
                      overLimit ->
                          failureOf(p.acceptor().open(null))
                              .map(fromAcceptor -> new Refusals(p, overLimit, fromAcceptor)));
            })
        .onComplete(
            testContext.succeeding(
                refusals ->
                    testContext.verify(
                        () -> {
                          assertThat(refusals.overLimit())
                              .isInstanceOf(IllegalStateException.class)
                              .hasMessageContaining("too many concurrent streams (2)");
                          assertThat(refusals.fromAcceptor())
                              .isInstanceOf(IllegalStateException.class)
                              .hasMessageContaining("only the OPENER");
                          assertThat(refusals.pair().opener().activeStreams()).isEqualTo(2);
                          testContext.completeNow();
                        })));
  }

  private static Future<Throwable> failureOf(Future<?> future) {
    return future.transform(
        ar ->
            ar.failed()
                ? Future.succeededFuture(ar.cause())
                : Future.failedFuture("expected a failure but got " + ar.result()));
  }

  /** Runs on a worker thread: fixed-width records "thread:seq", one write each. */
  private static List<Future<Void>> writeAll(MuxStream stream, int thread) {
    List<Future<Void>> writes = new ArrayList<>(WRITES_PER_THREAD);
    for (int seq = 0; seq < WRITES_PER_THREAD; seq++) {
      String record = String.format("%-" + RECORD + "s", thread + ":" + seq);
      writes.add(stream.write(Buffer.buffer(record)));
    }
    return writes;
  }
}
