package io.porthole.bench;

import io.porthole.tunnel.mux.MuxOptions;
import java.time.Duration;

/**
 * The sizes and limits of one benchmark run.
 *
 * @param mode {@code smoke} or {@code full}
 * @param streams short streams (and baseline TCP connections) per measured run
 * @param inFlight most short streams or connections in flight at once
 * @param echoBytes bytes written, and echoed back, per short stream or connection
 * @param bulkBytes bytes piped through the one stream (or connection) of a throughput run
 * @param chunkBytes size of each write of a throughput run
 * @param idleConnections idle tunnels (and baseline connection pairs) opened per heap run; each is
 *     two sockets in this JVM, so keep it well under half the open-files limit
 * @param connectInFlight most idle tunnels or connections being set up at once
 * @param repeats measured runs per side and case; the table shows their median
 * @param warmUp how long each side of each case is warmed up (runs alternate between the sides)
 *     before the case is measured
 * @param maxWarmUpRounds most warm-up runs per side and case, whatever {@code warmUp} says
 * @param runLimit time limit of any single run; a run that exceeds it makes the case incomplete
 * @param streamWindow receive window per tunnel stream and direction, in bytes ({@link
 *     MuxOptions#setInitialWindowSize}); the protocol's 256 KiB unless {@code --window} says
 *     otherwise
 */
record BenchPlan(
    String mode,
    int streams,
    int inFlight,
    int echoBytes,
    long bulkBytes,
    int chunkBytes,
    int idleConnections,
    int connectInFlight,
    int repeats,
    Duration warmUp,
    int maxWarmUpRounds,
    Duration runLimit,
    int streamWindow) {

  private static final long MIB = 1024L * 1024;

  /** Tiny sizes, for CI: proves the harness still runs, in well under half a minute. */
  static BenchPlan smoke() {
    return new BenchPlan(
        "smoke",
        2_000,
        64,
        64,
        64 * MIB,
        64 * 1024,
        100,
        32,
        3,
        Duration.ofSeconds(1),
        1,
        Duration.ofSeconds(20),
        MuxOptions.DEFAULT_INITIAL_WINDOW_SIZE);
  }

  /** The sizes the published figures come from (docs/performance.md). */
  static BenchPlan full() {
    return new BenchPlan(
        "full",
        100_000,
        64,
        64,
        2048 * MIB,
        64 * 1024,
        1_000,
        32,
        3,
        Duration.ofSeconds(20),
        30,
        Duration.ofSeconds(90),
        MuxOptions.DEFAULT_INITIAL_WINDOW_SIZE);
  }

  /** This plan with another stream window. */
  BenchPlan withStreamWindow(int bytes) {
    return new BenchPlan(
        mode,
        streams,
        inFlight,
        echoBytes,
        bulkBytes,
        chunkBytes,
        idleConnections,
        connectInFlight,
        repeats,
        warmUp,
        maxWarmUpRounds,
        runLimit,
        bytes);
  }

  /** The multiplexer options of both ends of every tunnel. */
  MuxOptions muxOptions() {
    return new MuxOptions().setInitialWindowSize(streamWindow);
  }

  /** Idle connections opened by a warm-up round of the heap case. */
  int warmUpIdleConnections() {
    return Math.max(1, idleConnections / 4);
  }

  /** "90 s", or "150 ms" below a second. */
  static String describe(Duration duration) {
    return duration.toMillis() < 1000 || duration.toMillis() % 1000 != 0
        ? duration.toMillis() + " ms"
        : duration.toSeconds() + " s";
  }

  /** How long to wait for a run's future before giving up on it from the outside. */
  Duration awaitLimit() {
    return runLimit.plusSeconds(30);
  }
}
