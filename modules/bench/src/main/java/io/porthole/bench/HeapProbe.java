package io.porthole.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;

/**
 * Retained heap: what is still referenced after full collections.
 *
 * <p>{@link MemoryMXBean#gc()} runs a full collection; the heap pools' <em>collection usage</em>
 * (their occupancy right after the last collection) then sums to the live heap. It is read instead
 * of {@code getHeapMemoryUsage().getUsed()}, which also counts whatever the event loops allocated
 * between the collection and the call (a fresh TLAB is enough to add megabytes of noise).
 */
final class HeapProbe {

  private static final int MIN_COLLECTIONS = 3;
  private static final int MAX_COLLECTIONS = 8;
  private static final long SETTLED_BYTES = 64 * 1024;

  private HeapProbe() {}

  /**
   * Collects until two collections in a row agree within 64 KiB (3 to 8 of them) and returns the
   * live heap in bytes. Blocking: call it on a worker thread or in {@code main}.
   */
  static long liveHeapBytes() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    List<MemoryPoolMXBean> pools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP)
            .toList();
    long live = -1;
    for (int i = 0; i < MAX_COLLECTIONS; i++) {
      memory.gc();
      long previous = live;
      live = afterLastCollection(pools);
      if (i + 1 >= MIN_COLLECTIONS && Math.abs(live - previous) <= SETTLED_BYTES) {
        break;
      }
    }
    return live;
  }

  private static long afterLastCollection(List<MemoryPoolMXBean> pools) {
    long sum = 0;
    for (MemoryPoolMXBean pool : pools) {
      MemoryUsage usage = pool.getCollectionUsage();
      if (usage != null) {
        sum += usage.getUsed();
      }
    }
    return sum;
  }
}
