package io.porthole.testkit;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.vertx.core.Vertx;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Watches the heap during a test, two ways:
 *
 * <ul>
 *   <li>{@link #peakUsed()}: {@link MemoryMXBean} heap "used", sampled every 10 ms. It includes
 *       garbage not yet collected, so its peak mostly reflects how large the JVM lets the young
 *       generation grow (about 60% of the current heap with G1), not what the code retains.
 *   <li>{@link #peakLiveAfterGc()}: heap used right after each garbage collection, from GC
 *       notifications: what was actually still referenced, i.e. the buffering of the code under
 *       test plus the JVM's baseline.
 * </ul>
 */
public final class HeapMonitor implements AutoCloseable {

  private final Vertx vertx;
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final AtomicLong peakUsed = new AtomicLong();
  private final AtomicLong peakLiveAfterGc = new AtomicLong();
  private final AtomicLong collections = new AtomicLong();
  private final Set<String> heapPools =
      ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(pool -> pool.getType() == MemoryType.HEAP)
          .map(MemoryPoolMXBean::getName)
          .collect(Collectors.toSet());
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener listener = (notification, handback) -> onGc(notification);
  private final long samplerId;

  public HeapMonitor(Vertx vertx) {
    this.vertx = vertx;
    sample();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(listener, null, null);
        emitters.add(emitter);
      }
    }
    samplerId = vertx.setPeriodic(10, id -> sample());
  }

  public long peakUsed() {
    return peakUsed.get();
  }

  public long peakLiveAfterGc() {
    return peakLiveAfterGc.get();
  }

  public long collections() {
    return collections.get();
  }

  @Override
  public void close() {
    vertx.cancelTimer(samplerId);
    for (NotificationEmitter emitter : emitters) {
      try {
        emitter.removeNotificationListener(listener);
      } catch (ListenerNotFoundException e) {
        // already gone: nothing to undo
      }
    }
  }

  private void sample() {
    peakUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
  }

  private void onGc(javax.management.Notification notification) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
        notification.getType())) {
      return;
    }
    GarbageCollectionNotificationInfo info =
        GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
    long live =
        info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
            .filter(e -> heapPools.contains(e.getKey()))
            .map(java.util.Map.Entry::getValue)
            .mapToLong(MemoryUsage::getUsed)
            .sum();
    collections.incrementAndGet();
    peakLiveAfterGc.accumulateAndGet(live, Math::max);
  }
}
