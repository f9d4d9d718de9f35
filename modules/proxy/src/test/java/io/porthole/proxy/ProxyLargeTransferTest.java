package io.porthole.proxy;

import static io.porthole.proxy.ProxyFixture.path;
import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.testkit.HeapMonitor;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 1 GiB each way through the whole path (client, front door, tunnel, sandbox end, origin), from
 * generators, in bounded heap (the test JVM runs with -Xmx1g).
 */
@ExtendWith(VertxExtension.class)
class ProxyLargeTransferTest {

  private static final Logger log = LoggerFactory.getLogger(ProxyLargeTransferTest.class);
  static final String SES = "ses_large1";
  static final long SIZE = 1024L * 1024 * 1024;
  static final long MIB = 1024 * 1024;

  private ProxyFixture fx;
  private final AtomicLong originCrc = new AtomicLong(-1);

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    fx = new ProxyFixture(vertx);
    fx.start()
        .compose(v -> fx.origin(this::origin))
        .onComplete(
            ctx.succeeding(
                a -> {
                  fx.expose(SES, 3000, null, "public", a);
                  ctx.completeNow();
                }));
  }

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    fx.stop().onComplete(ar -> ctx.completeNow());
  }

  private void origin(HttpServerRequest req) {
    if (req.path().equals("/download")) {
      GeneratedBody body = new GeneratedBody(Vertx.currentContext(), SIZE);
      req.response().putHeader("content-length", Long.toString(SIZE));
      body.pipeTo(req.response()).onSuccess(v -> originCrc.set(body.checksum()));
    } else {
      CRC32 crc = new CRC32();
      long[] n = {0};
      req.handler(
          b -> {
            n[0] += b.length();
            crc.update(b.getBytes());
          });
      req.endHandler(
          v ->
              req.response()
                  .end(new JsonObject().put("bytes", n[0]).put("crc", crc.getValue()).encode()));
    }
  }

  /** Heap in use after a full collection (what is still referenced). */
  private static long retained() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
  @DisplayName("1 GiB downloads through the proxy in bounded heap, byte for byte")
  void download(VertxTestContext ctx) {
    long before = retained();
    HeapMonitor heap = new HeapMonitor(fx.vertx);
    CRC32 crc = new CRC32();
    AtomicLong got = new AtomicLong();
    long started = System.nanoTime();
    fx.client()
        .request(fx.get(path(SES, 3000, "/download")))
        .compose(r -> r.send())
        .compose(
            resp -> {
              Promise<Void> done = Promise.promise();
              resp.handler(
                  b -> {
                    got.addAndGet(b.length());
                    crc.update(b.getBytes());
                  });
              resp.endHandler(done::tryComplete);
              resp.exceptionHandler(done::tryFail);
              return done.future();
            })
        .compose(v -> fx.until(() -> originCrc.get() >= 0, 100))
        .onComplete(
            ctx.succeeding(
                v -> {
                  heap.close();
                  report("download", started, before, heap);
                  ctx.verify(
                      () -> {
                        assertThat(got.get()).isEqualTo(SIZE);
                        assertThat(crc.getValue()).isEqualTo(originCrc.get());
                        assertBounded(before, heap);
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
  @DisplayName("1 GiB uploads through the proxy in bounded heap, byte for byte")
  void upload(VertxTestContext ctx) {
    long before = retained();
    HeapMonitor heap = new HeapMonitor(fx.vertx);
    GeneratedBody body = new GeneratedBody(fx.vertx.getOrCreateContext(), SIZE);
    long started = System.nanoTime();
    fx.client()
        .request(
            fx.request(HttpMethod.POST, path(SES, 3000, "/upload"))
                .putHeader("content-length", Long.toString(SIZE)))
        .compose(r -> r.send(body))
        .compose(resp -> resp.body().map(b -> new JsonObject(b.toString())))
        .onComplete(
            ctx.succeeding(
                json -> {
                  heap.close();
                  report("upload", started, before, heap);
                  ctx.verify(
                      () -> {
                        assertThat(json.getLong("bytes")).isEqualTo(SIZE);
                        assertThat(json.getLong("crc")).isEqualTo(body.checksum());
                        assertBounded(before, heap);
                      });
                  ctx.completeNow();
                }));
  }

  private static void report(String what, long started, long before, HeapMonitor heap) {
    double seconds = (System.nanoTime() - started) / 1e9;
    log.info(
        "{} of {} MiB in {} s: {} MiB/s; heap before {} MiB, peak used {} MiB, peak live after GC"
            + " {} MiB ({} collections)",
        what,
        SIZE / MIB,
        String.format("%.1f", seconds),
        String.format("%.0f", SIZE / MIB / seconds),
        before / MIB,
        heap.peakUsed() / MIB,
        heap.peakLiveAfterGc() / MIB,
        heap.collections());
  }

  private static void assertBounded(long before, HeapMonitor heap) {
    assertThat(heap.peakUsed()).isLessThan(768 * MIB);
    assertThat(retained() - before).isLessThan(64 * MIB);
    if (heap.collections() > 0) {
      assertThat(heap.peakLiveAfterGc()).isLessThan(before + 64 * MIB);
    }
  }
}
