package io.porthole.sandbox.tunnel;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/** Capped exponential backoff with jitter: delay n is uniform in [d/2, d], d = min(max, min·2ⁿ). */
final class Backoff {

  private final long minMs;
  private final long maxMs;
  private final DoubleSupplier random;
  private int attempt;

  Backoff(Duration min, Duration max, DoubleSupplier random) {
    this.minMs = Math.max(1, min.toMillis());
    this.maxMs = Math.max(minMs, max.toMillis());
    this.random = random;
  }

  /** The next delay in milliseconds, growing with each call until {@link #reset()}. */
  long next() {
    long d = minMs << Math.min(attempt, 30);
    if (d <= 0 || d > maxMs) {
      d = maxMs;
    }
    attempt++;
    return Math.max(1, (long) (d * (0.5 + 0.5 * random.getAsDouble())));
  }

  void reset() {
    attempt = 0;
  }

  int attempts() {
    return attempt;
  }
}
