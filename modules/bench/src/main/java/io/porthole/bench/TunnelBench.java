package io.porthole.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tunnel benchmark (not a test): streams opened per second, MiB/s through one stream and
 * retained heap per idle tunnel, each beside the same figure over direct loopback TCP measured in
 * the same run, in one JVM on 127.0.0.1. Prints one table to stdout; progress goes to the log on
 * stderr. Exits 0 when every figure was produced, 1 when a case failed or ran out of time, 2 on bad
 * arguments. See docs/performance.md.
 *
 * <p>Usage: {@code TunnelBench [--full | --smoke] [--window=BYTES]} ({@code --full} by default;
 * {@code --window} sets the tunnels' receive window per stream, 256 KiB by default).
 */
public final class TunnelBench {

  private static final Logger log = LoggerFactory.getLogger(TunnelBench.class);

  /**
   * Two event loops: one for the API side and the servers, one for the sandbox side and clients.
   */
  private static final int EVENT_LOOPS = 2;

  private static final String WINDOW_FLAG = "--window=";
  private static final Duration SETUP_LIMIT = Duration.ofSeconds(30);
  private static final int MAX_LOOP_ATTEMPTS = 4;

  private TunnelBench() {}

  public static void main(String[] args) {
    BenchPlan plan = parse(args);
    if (plan == null) {
      System.err.println("usage: TunnelBench [--full | --smoke] [--window=BYTES]");
      System.exit(2);
      return;
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(EVENT_LOOPS));
    int status = 1;
    try {
      status = run(vertx, plan);
    } catch (Exception e) {
      log.error("the benchmark could not run", e);
    } finally {
      try {
        vertx.close().await(SETUP_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        log.warn("Vert.x did not close cleanly", e);
      }
    }
    System.exit(status);
  }

  /** The plan the arguments ask for, or null if they make no sense. */
  private static BenchPlan parse(String[] args) {
    BenchPlan plan = BenchPlan.full();
    Integer window = null;
    for (String arg : args) {
      if (arg.equals("--full")) {
        plan = BenchPlan.full();
      } else if (arg.equals("--smoke")) {
        plan = BenchPlan.smoke();
      } else if (arg.startsWith(WINDOW_FLAG)) {
        try {
          window = Integer.parseInt(arg.substring(WINDOW_FLAG.length()));
        } catch (NumberFormatException e) {
          return null;
        }
      } else {
        return null;
      }
    }
    if (window != null) {
      plan = plan.withStreamWindow(window);
    }
    try {
      plan.muxOptions().validate();
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return null;
    }
    return plan;
  }

  private static int run(Vertx vertx, BenchPlan plan) throws Exception {
    MachineLoad start = MachineLoad.now();
    Instant date = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    log.info("{} mode: {}", plan.mode(), plan);
    List<Context> loops = twoEventLoops(vertx);
    Context serverContext = loops.get(0);
    Context clientContext = loops.get(1);
    TunnelLoopback tunnels =
        await(
            TunnelLoopback.start(
                vertx,
                serverContext,
                clientContext,
                plan.idleConnections() + plan.inFlight(),
                plan.muxOptions()),
            SETUP_LIMIT);
    TcpLoopback tcp = await(TcpLoopback.start(vertx, serverContext, clientContext), SETUP_LIMIT);

    ResultTable table = new ResultTable(plan.repeats());
    for (BenchCase benchCase :
        List.of(
            new StreamRateCase(plan, tunnels, tcp),
            new ThroughputCase(plan, tunnels, tcp),
            new IdleHeapCase(plan, vertx, tunnels, tcp))) {
      table.add(measure(benchCase, plan));
    }
    await(Future.join(tunnels.close(), tcp.close()), SETUP_LIMIT);

    System.out.print(header(plan, date, start, MachineLoad.now()) + table.render());
    System.out.flush();
    return table.complete() ? 0 : 1;
  }

  /** One side of a case: its runs and where their values go. */
  private record Side(String name, Function<Boolean, Future<Double>> run, Series series) {}

  /** Warms the case up, then measures each side {@code repeats} times, alternating sides. */
  private static ResultTable.Row measure(BenchCase benchCase, BenchPlan plan) {
    Series porthole = new Series();
    Series baseline = new Series();
    List<Side> sides =
        List.of(
            new Side("Porthole", benchCase::runPorthole, porthole),
            new Side("baseline", benchCase::runBaseline, baseline));
    log.info("case: {}", benchCase.label());
    try {
      await(benchCase.setUp(), SETUP_LIMIT);
    } catch (Exception e) {
      porthole.fail("set-up failed: " + describe(e));
      baseline.fail("set-up failed: " + describe(e));
      return new ResultTable.Row(benchCase, porthole, baseline);
    }
    try {
      boolean ok = warmUp(benchCase, plan, sides);
      for (int run = 1; ok && run <= plan.repeats(); run++) {
        for (Side side : sides) {
          ok = ok && once(side, side.name() + " run " + run, false, plan);
        }
      }
      for (Side side : sides) {
        if (!side.series().complete(plan.repeats())) {
          side.series().fail("not measured: the case stopped at its first failure");
        }
      }
    } finally {
      try {
        await(benchCase.tearDown(), SETUP_LIMIT);
      } catch (Exception e) {
        log.warn("tear-down of '{}' failed: {}", benchCase.label(), describe(e));
      }
    }
    return new ResultTable.Row(benchCase, porthole, baseline);
  }

  /**
   * Alternates warm-up runs of the sides until each has run for the plan's warm-up time of its own
   * (at least one run, at most the case's maximum): a fast side gets many short runs, a slow side
   * few long ones. Returns false as soon as a run fails.
   */
  private static boolean warmUp(BenchCase benchCase, BenchPlan plan, List<Side> sides) {
    long budget = plan.warmUp().toNanos();
    long[] spent = new long[sides.size()];
    for (int round = 1; round <= benchCase.maxWarmUpRounds(plan); round++) {
      boolean ran = false;
      for (int i = 0; i < sides.size(); i++) {
        if (round > 1 && spent[i] >= budget) {
          continue;
        }
        long started = System.nanoTime();
        if (!once(sides.get(i), sides.get(i).name() + " warm-up " + round, true, plan)) {
          return false;
        }
        spent[i] += System.nanoTime() - started;
        ran = true;
      }
      if (!ran) {
        break;
      }
    }
    return true;
  }

  /**
   * One run of {@code side}; a measured run's value goes into its series, a failure marks the
   * series incomplete. Returns whether the run succeeded.
   */
  private static boolean once(Side side, String what, boolean warmUp, BenchPlan plan) {
    MachineLoad before = MachineLoad.now();
    try {
      double value = await(side.run().apply(warmUp), plan.awaitLimit());
      if (!warmUp) {
        side.series().add(value);
      }
      MachineLoad after = MachineLoad.now();
      log.info(
          "  {}: {} (wall {} s, this process {} CPU s, other processes {} of the CPUs)",
          what,
          String.format("%,.1f", value),
          String.format("%.2f", (after.wallNanos() - before.wallNanos()) / 1e9),
          String.format("%.2f", after.processCpuSecondsSince(before)),
          after.othersSince(before));
      return true;
    } catch (Exception e) {
      String reason = what + " failed: " + describe(e);
      log.error("  {}", reason);
      side.series().fail(reason);
      return false;
    }
  }

  private static <T> T await(Future<T> future, Duration limit) throws Exception {
    try {
      return future.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      if (future.isComplete()) {
        // the future itself failed with a timeout (a run's own limit): keep its message
        throw e;
      }
      throw new TimeoutException("no result within " + BenchPlan.describe(limit));
    }
  }

  /** Two event-loop contexts on two different threads. */
  private static List<Context> twoEventLoops(Vertx vertx) throws Exception {
    Context first = await(EventLoops.newEventLoop(vertx), SETUP_LIMIT);
    Thread firstThread = await(EventLoops.thread(first), SETUP_LIMIT);
    for (int attempt = 0; attempt < MAX_LOOP_ATTEMPTS; attempt++) {
      Context second = await(EventLoops.newEventLoop(vertx), SETUP_LIMIT);
      if (await(EventLoops.thread(second), SETUP_LIMIT) != firstThread) {
        return List.of(first, second);
      }
    }
    throw new IllegalStateException("could not get two event loops on different threads");
  }

  private static String header(BenchPlan plan, Instant date, MachineLoad start, MachineLoad end) {
    String vertxVersion = Vertx.class.getPackage().getImplementationVersion();
    return String.format(
        "Porthole tunnel benchmark, %s mode, %s, %d CPUs, Java %s, max heap %,d MiB, Vert.x %s,"
            + " %d event loops, stream window %,d KiB%n"
            + "took %d s; other processes used %s of the CPUs meanwhile"
            + "%nfigures: median of %d runs ±half their range, after a warm-up of each case;"
            + " ratio = Porthole median / TCP median%n%n",
        plan.mode(),
        date,
        MachineLoad.cpus(),
        System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() / (1024 * 1024),
        vertxVersion == null ? "(unknown)" : vertxVersion,
        EVENT_LOOPS,
        plan.streamWindow() / 1024,
        TimeUnit.NANOSECONDS.toSeconds(end.wallNanos() - start.wallNanos()),
        end.othersSince(start),
        plan.repeats());
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }
}
