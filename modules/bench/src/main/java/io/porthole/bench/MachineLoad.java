package io.porthole.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How busy the machine was besides this benchmark: every CPU's busy time (Linux {@code /proc/stat})
 * minus this process's CPU time, over a stretch of wall time. Other work on a 2-CPU box skews the
 * figures, so the table says how much there was.
 *
 * @param wallNanos System.nanoTime at the snapshot
 * @param machineBusyNanos CPU time all processes used since boot, or -1 if unknown
 * @param processCpuNanos CPU time this process used
 */
record MachineLoad(long wallNanos, long machineBusyNanos, long processCpuNanos) {

  /** Linux reports /proc/stat in USER_HZ ticks, 100 per second on every common platform. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private static final Path PROC_STAT = Path.of("/proc/stat");

  static MachineLoad now() {
    return new MachineLoad(System.nanoTime(), machineBusy(), processCpu());
  }

  /** CPU time this process used since {@code earlier}, in seconds. */
  double processCpuSecondsSince(MachineLoad earlier) {
    return (processCpuNanos - earlier.processCpuNanos) / 1e9;
  }

  /**
   * The share of all CPUs that other processes used since {@code earlier} (0..1), or -1 when the
   * machine's busy time is unknown.
   */
  double othersShareSince(MachineLoad earlier) {
    if (machineBusyNanos < 0 || earlier.machineBusyNanos < 0) {
      return -1;
    }
    double wall = (wallNanos - earlier.wallNanos) * (double) cpus();
    double others =
        (machineBusyNanos - earlier.machineBusyNanos) - (processCpuNanos - earlier.processCpuNanos);
    return wall <= 0 ? -1 : Math.max(0, Math.min(1, others / wall));
  }

  /** {@link #othersShareSince} as "12%" or "unknown". */
  String othersSince(MachineLoad earlier) {
    double share = othersShareSince(earlier);
    return share < 0 ? "unknown" : String.format("%.0f%%", share * 100);
  }

  static int cpus() {
    return Runtime.getRuntime().availableProcessors();
  }

  private static long processCpu() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : 0;
  }

  /** user + nice + system + irq + softirq + steal of the "cpu" line, in nanoseconds. */
  private static long machineBusy() {
    try {
      List<String> lines = Files.readAllLines(PROC_STAT);
      String[] fields = lines.isEmpty() ? new String[0] : lines.get(0).trim().split("\\s+");
      if (fields.length < 9 || !fields[0].equals("cpu")) {
        return -1;
      }
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(fields[i]);
      }
      return busy * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
