package io.porthole.bench;

import io.vertx.core.Future;

/**
 * One row of the table: a figure measured through Porthole tunnels and the same figure over direct
 * loopback TCP, in this JVM. Runs are sequential; each yields one value in the case's base unit.
 */
interface BenchCase {

  /** The row label. */
  String label();

  /** Prepares what every run of the case shares (e.g. the one tunnel the streams go through). */
  Future<Void> setUp();

  /**
   * Most warm-up runs per side before measuring; a side's warm-up runs go on until they took the
   * plan's warm-up time or this many were made.
   */
  default int maxWarmUpRounds(BenchPlan plan) {
    return plan.maxWarmUpRounds();
  }

  /** One run through Porthole; a warm-up run may be smaller. */
  Future<Double> runPorthole(boolean warmUp);

  /** One run of the direct TCP baseline; a warm-up run may be smaller. */
  Future<Double> runBaseline(boolean warmUp);

  /** Formats a Porthole figure with its unit. */
  String formatPorthole(double value);

  /** Formats a baseline figure with its unit. */
  String formatBaseline(double value);

  /** Releases what {@link #setUp} made. */
  Future<Void> tearDown();
}
