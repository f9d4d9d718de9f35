package io.porthole.testkit.blocked;

import io.netty.buffer.ByteBufAllocator;
import io.vertx.core.Context;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxServiceProvider;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Makes Vert.x's blocked-thread checker strict in every test JVM that has testkit on its class
 * path. Vert.x calls each {@link VertxServiceProvider} listed in {@code META-INF/services} while it
 * bootstraps an instance, however the instance is built: {@code VertxExtension} parameter
 * injection, {@code Vertx.vertx(..)}, {@code Vertx.builder()} or a clustered node started by
 * production code. Limits only ever get tighter: an option already stricter than ours is kept.
 *
 * <p>Vert.x 5 no longer reads {@code -Dvertx.options.*} system properties (that was the launcher of
 * Vert.x 4), hence this hook.
 */
public final class StrictThreadChecks implements VertxServiceProvider {

  /**
   * Longest an event-loop task may run: under a sixth of Vert.x's 2 s default, where handlers here
   * take microseconds to a few milliseconds. The floor is the noise of a loaded two-CPU machine:
   * with the limit at 100 ms, full runs at load 2 to 6 saw no task outside class loading (which
   * {@link FailOnBlockedThread} tells apart) run past about 250 ms, each of them cold code waiting
   * for a CPU; at 200 ms the busiest runs would fail a test for nothing.
   */
  public static final Duration EVENT_LOOP_LIMIT = Duration.ofMillis(750);

  /**
   * Longest a worker task may run: Vert.x's default. Workers exist to block; a minute means a hang.
   */
  public static final Duration WORKER_LIMIT = Duration.ofSeconds(60);

  /**
   * How often the checker looks: a task running for {@code EVENT_LOOP_LIMIT + CHECK_INTERVAL} is
   * always reported (Vert.x checks every second by default).
   */
  public static final Duration CHECK_INTERVAL = Duration.ofMillis(50);

  /** Below every limit, so every report carries the blocked thread's stack trace. */
  public static final Duration STACK_TRACE_AFTER = Duration.ofMillis(1);

  private static final AtomicBoolean NETTY_WARMED_UP = new AtomicBoolean();

  @Override
  public void init(VertxBootstrap bootstrap) {
    BlockedThreadReports.tryInstall();
    warmUpNetty();
    tighten(bootstrap.options());
  }

  /**
   * Once per JVM, on the thread building a Vert.x rather than on the first event loop to allocate a
   * pooled buffer: Netty's allocator registers its JFR event types with its first chunk, and JFR
   * then sets its metadata up, 100 to 400 ms on a loaded machine, while every event loop that
   * allocates waits for that class initialization. In production that happens once, at start-up.
   */
  static void warmUpNetty() {
    if (!Context.isOnEventLoopThread() && NETTY_WARMED_UP.compareAndSet(false, true)) {
      ByteBufAllocator.DEFAULT.directBuffer(1).release();
    }
  }

  /** Tightens {@code options} in place to at most the limits above. */
  static VertxOptions tighten(VertxOptions options) {
    if (nanos(options.getMaxEventLoopExecuteTime(), options.getMaxEventLoopExecuteTimeUnit())
        > EVENT_LOOP_LIMIT.toNanos()) {
      options
          .setMaxEventLoopExecuteTime(EVENT_LOOP_LIMIT.toMillis())
          .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS);
    }
    if (nanos(options.getMaxWorkerExecuteTime(), options.getMaxWorkerExecuteTimeUnit())
        > WORKER_LIMIT.toNanos()) {
      options
          .setMaxWorkerExecuteTime(WORKER_LIMIT.toMillis())
          .setMaxWorkerExecuteTimeUnit(TimeUnit.MILLISECONDS);
    }
    if (nanos(options.getBlockedThreadCheckInterval(), options.getBlockedThreadCheckIntervalUnit())
        > CHECK_INTERVAL.toNanos()) {
      options
          .setBlockedThreadCheckInterval(CHECK_INTERVAL.toMillis())
          .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS);
    }
    if (nanos(options.getWarningExceptionTime(), options.getWarningExceptionTimeUnit())
        > STACK_TRACE_AFTER.toNanos()) {
      options
          .setWarningExceptionTime(STACK_TRACE_AFTER.toMillis())
          .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
    }
    return options;
  }

  private static long nanos(long value, TimeUnit unit) {
    return unit.toNanos(value);
  }
}
