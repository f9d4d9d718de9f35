package io.porthole.testkit.blocked;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.testkit.blocked.BlockedThreadReports.Block;
import io.porthole.testkit.blocked.BlockedThreadReports.Report;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BlockedThreadReportsTest {

  static final long LIMIT_MS = StrictThreadChecks.EVENT_LOOP_LIMIT.toMillis();

  /** Longer than the limit plus a check interval: always reported. */
  static final long BLOCK_MS = LIMIT_MS + 200;

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  @DisplayName(
      "An event loop blocked beyond the test limit, under Vert.x's 2 s default, is reported with its stack")
  void eventLoopBlocked() throws Exception {
    BlockedThreadReports.drain();
    vertx.getOrCreateContext().runOnContext(v -> sleep(BLOCK_MS));
    vertx.timer(600).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    // taken here, so FailOnBlockedThread has nothing left to fail this test for
    List<Block> blocks = BlockedThreadReports.blocks(BlockedThreadReports.drain());

    assertThat(blocks).hasSize(1);
    Block block = blocks.get(0);
    assertThat(block.thread()).startsWith("vert.x-eventloop-thread-");
    assertThat(block.blockedMs()).isGreaterThanOrEqualTo(LIMIT_MS);
    assertThat(block.message()).contains("time limit is " + LIMIT_MS + " ms");
    assertThat(block.jvmWarmUp()).isFalse();
    assertThat(block.stack())
        .anySatisfy(frame -> assertThat(frame.getMethodName()).isEqualTo("sleep"))
        .anySatisfy(frame -> assertThat(frame.getClassName()).isEqualTo(getClass().getName()));
  }

  @Test
  @DisplayName("An event loop busy for less than the limit is not reported")
  void shortTaskNotReported() throws Exception {
    BlockedThreadReports.drain();
    vertx.getOrCreateContext().runOnContext(v -> sleep(50));
    vertx.timer(300).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(BlockedThreadReports.drain()).isEmpty();
  }

  @Test
  @DisplayName("The limits only ever get tighter")
  void tightenOnly() {
    VertxOptions defaults = StrictThreadChecks.tighten(new VertxOptions());
    assertThat(
            defaults
                .getMaxEventLoopExecuteTimeUnit()
                .toMillis(defaults.getMaxEventLoopExecuteTime()))
        .isEqualTo(LIMIT_MS);
    assertThat(
            defaults
                .getBlockedThreadCheckIntervalUnit()
                .toMillis(defaults.getBlockedThreadCheckInterval()))
        .isEqualTo(50);
    assertThat(defaults.getMaxWorkerExecuteTimeUnit().toSeconds(defaults.getMaxWorkerExecuteTime()))
        .isEqualTo(60);

    VertxOptions stricter =
        StrictThreadChecks.tighten(
            new VertxOptions()
                .setMaxEventLoopExecuteTime(50)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setMaxWorkerExecuteTime(Duration.ofSeconds(5).toNanos()));
    assertThat(stricter.getMaxEventLoopExecuteTime()).isEqualTo(50);
    assertThat(stricter.getMaxWorkerExecuteTime()).isEqualTo(Duration.ofSeconds(5).toNanos());
  }

  /** Initialized on first use, by an event loop: a slow static initializer, on purpose. */
  static final class SlowToInitialize {
    static final long READY = System.nanoTime();

    static {
      sleep(BLOCK_MS);
    }
  }

  @Test
  @DisplayName(
      "An event loop blocked while it initializes a class is reported, as JVM warm-up, not as"
          + " the code's blocking")
  void classInitialization() throws Exception {
    BlockedThreadReports.drain();
    vertx.getOrCreateContext().runOnContext(v -> assertThat(SlowToInitialize.READY).isPositive());
    vertx.timer(600).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    List<Block> blocks = BlockedThreadReports.blocks(BlockedThreadReports.drain());

    assertThat(blocks).hasSize(1);
    assertThat(blocks.get(0).jvmWarmUp()).isTrue();
    assertThat(blocks.get(0).stack())
        .anySatisfy(frame -> assertThat(frame.getMethodName()).isEqualTo("<clinit>"));
  }

  @Test
  @DisplayName(
      "The repeated warnings of one blocked period make one block, with the longest duration and"
          + " the first stack; a second period of the same thread makes another")
  void periods() {
    Report first = report("vert.x-eventloop-thread-0", 10_000, 210, frame("Some", "sleep"));
    Report longer = report("vert.x-eventloop-thread-0", 10_004, 260, frame("Some", "afterwards"));
    Report other = report("vert.x-eventloop-thread-1", 10_100, 220, frame("Some", "read"));
    Report again = report("vert.x-eventloop-thread-0", 10_500, 230, frame("Some", "write"));

    List<Block> blocks = BlockedThreadReports.blocks(List.of(first, longer, other, again));

    assertThat(blocks).extracting(Block::warnings).containsExactly(2, 1, 1);
    assertThat(blocks.get(0).blockedMs()).isEqualTo(260);
    assertThat(blocks.get(0).message()).isEqualTo(longer.message());
    assertThat(blocks.get(0).stack()).isEqualTo(first.stack());
    assertThat(blocks.get(2).stack()).isEqualTo(again.stack());
  }

  @Test
  @DisplayName(
      "A period counts as JVM warm-up when most warnings that caught the thread at work caught it"
          + " loading classes")
  void warmUp() {
    StackTraceElement[] loading = {
      frame("java.lang.ClassLoader", "defineClass1"),
      frame("java.lang.ClassLoader", "loadClass"),
      frame("io.netty.Some", "handler")
    };
    StackTraceElement[] linking = {
      frame("java.lang.invoke.MethodHandleNatives", "linkCallSite"), frame("io.porthole.X", "start")
    };
    StackTraceElement[] initializing = {
      frame("io.porthole.Some", "<clinit>"), frame("io.porthole.X", "start")
    };
    StackTraceElement[] idle = {
      frame("sun.nio.ch.EPoll", "wait"), frame("io.netty.channel.nio.NioIoHandler", "select")
    };
    StackTraceElement[] working = {frame("java.util.Random", "nextBytes")};

    assertThat(warmUp(loading, linking, initializing)).isTrue();
    assertThat(warmUp(loading, loading, working)).isTrue();
    assertThat(warmUp(loading, idle)).isTrue();
    assertThat(warmUp(idle)).isTrue();
    assertThat(warmUp(loading, working)).isFalse();
    assertThat(warmUp(working, idle, idle)).isFalse();
    assertThat(warmUp(working, working, linking)).isFalse();
  }

  /** Whether one period whose warnings caught the thread at these stacks is JVM warm-up. */
  private static boolean warmUp(StackTraceElement[]... samples) {
    List<Report> period = new ArrayList<>();
    for (int i = 0; i < samples.length; i++) {
      period.add(report("vert.x-eventloop-thread-0", 1_000, 310 + 50L * i, samples[i]));
    }
    List<Block> blocks = BlockedThreadReports.blocks(period);
    assertThat(blocks).hasSize(1);
    return blocks.get(0).jvmWarmUp();
  }

  private static StackTraceElement frame(String type, String method) {
    return new StackTraceElement(type, method, null, -1);
  }

  private static Report report(String thread, long since, long ms, StackTraceElement... stack) {
    return new Report(
        thread,
        since,
        ms,
        "Thread " + thread + " has been blocked for " + ms + " ms",
        List.of(stack));
  }
}
