package io.porthole.tunnel.mux.impl;

import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.protocol.Frame;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PINGs of one connection: answers the peer's, sends a keep-alive every ping interval, measures
 * round trips for {@code ping()}, and declares the peer dead when it was silent, or left a PING
 * unanswered, for longer than the dead-peer timeout. A peer that still sends but no longer reads
 * (its socket paused or its loop stuck) is caught by the unanswered-PING rule.
 */
final class KeepAlive {

  private static final Logger log = LoggerFactory.getLogger(KeepAlive.class);

  private record Pending(long sentAt, Promise<Duration> promise) {}

  private final Loop loop;
  private final FrameWriter writer;
  private final long intervalNanos;
  private final long deadNanos;
  private final Consumer<String> onDeadPeer;
  private final Map<Long, Pending> pending = new HashMap<>();
  private long nextOpaque = 1;
  private long keepAliveOpaque;
  private long lastReceived;
  private long lastKeepAliveSent;
  private long timerId = -1;
  private Throwable stopped;

  KeepAlive(Loop loop, FrameWriter writer, MuxOptions options, Consumer<String> onDeadPeer) {
    this.loop = loop;
    this.writer = writer;
    this.intervalNanos = options.getPingInterval().toNanos();
    this.deadNanos = options.getDeadPeerTimeout().toNanos();
    this.onDeadPeer = onDeadPeer;
  }

  /** Starts the timer; must run on the connection's context. */
  void start() {
    if (stopped != null) {
      return;
    }
    long now = System.nanoTime();
    lastReceived = now;
    lastKeepAliveSent = now;
    long tickMillis =
        Math.max(10, TimeUnit.NANOSECONDS.toMillis(Math.min(intervalNanos, deadNanos)) / 2);
    timerId = loop.vertx().setPeriodic(tickMillis, id -> tick());
  }

  /** Any inbound frame proves the peer is still sending. */
  void frameReceived() {
    lastReceived = System.nanoTime();
  }

  Future<Duration> ping() {
    if (stopped != null) {
      return Future.failedFuture(stopped);
    }
    long opaque = nextOpaque++;
    Promise<Duration> promise = Promise.promise();
    pending.put(opaque, new Pending(System.nanoTime(), promise));
    writer.send(Frame.ping(opaque));
    return promise.future();
  }

  void onPing(Frame frame) {
    if (!frame.isAck()) {
      writer.send(Frame.pingAck(frame.pingData()));
      return;
    }
    long opaque = frame.pingData();
    Pending answered = pending.remove(opaque);
    if (answered == null) {
      log.debug("ignoring PING ACK {} that answers nothing outstanding", opaque);
      return;
    }
    if (opaque == keepAliveOpaque) {
      keepAliveOpaque = 0;
    }
    if (answered.promise() != null) {
      answered.promise().tryComplete(Duration.ofNanos(System.nanoTime() - answered.sentAt()));
    }
  }

  /** Cancels the timer and fails outstanding pings. */
  void stop(Throwable cause) {
    stopped = cause;
    if (timerId != -1) {
      loop.vertx().cancelTimer(timerId);
      timerId = -1;
    }
    for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      it.remove();
      if (p.promise() != null) {
        p.promise().tryFail(cause);
      }
    }
  }

  private void tick() {
    if (stopped != null) {
      return;
    }
    long now = System.nanoTime();
    long silent = now - lastReceived;
    if (silent > deadNanos) {
      onDeadPeer.accept("peer silent for " + millis(silent) + " ms" + limit());
      return;
    }
    long oldest = Long.MAX_VALUE;
    for (Pending p : pending.values()) {
      oldest = Math.min(oldest, p.sentAt());
    }
    if (oldest != Long.MAX_VALUE && now - oldest > deadNanos) {
      onDeadPeer.accept("PING unanswered for " + millis(now - oldest) + " ms" + limit());
      return;
    }
    if (keepAliveOpaque == 0 && now - lastKeepAliveSent >= intervalNanos) {
      keepAliveOpaque = nextOpaque++;
      lastKeepAliveSent = now;
      pending.put(keepAliveOpaque, new Pending(now, null));
      writer.send(Frame.ping(keepAliveOpaque));
    }
  }

  private String limit() {
    return " (dead-peer timeout " + millis(deadNanos) + " ms)";
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
