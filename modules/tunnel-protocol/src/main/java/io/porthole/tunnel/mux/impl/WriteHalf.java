package io.porthole.tunnel.mux.impl;

import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sending half of a stream: written buffers not yet framed, the send credit granted by the
 * peer, the local write-queue limit, and the HALF_CLOSE that follows the last byte. Buffers are
 * framed in place; a write's promise completes with the transport's result for the frame carrying
 * its last byte.
 *
 * <p>Confined to the tunnel's loop, except the queue accounting that the owner context reads: a
 * write is counted when the application makes it (so {@link #writeQueueFull} is exact even while
 * the write is still hopping to the loop), and a drain is owed once the application saw a full
 * queue. The owed flag is published before the queue is re-read, and the loop re-reads it after
 * every send, so a drain can never be lost between "full" and "drain handler installed".
 */
final class WriteHalf {

  private static final class Chunk {
    final Buffer data;
    final Promise<Void> promise;
    int offset;

    Chunk(Buffer data, Promise<Void> promise) {
      this.data = data;
      this.promise = promise;
    }
  }

  private final MuxStreamImpl stream;
  private final FrameWriter writer;
  private final int maxPayload;
  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
  private long credit = MuxOptions.PROTOCOL_INITIAL_WINDOW;
  private final AtomicLong queuedBytes = new AtomicLong();
  private volatile long sentBytes;
  private volatile boolean drainOwed;
  private volatile int maxQueued;
  private Promise<Void> endPromise;
  private boolean endSent;
  private Throwable failure;

  WriteHalf(MuxStreamImpl stream, FrameWriter writer, int maxPayload, int maxQueued) {
    this.stream = stream;
    this.writer = writer;
    this.maxPayload = maxPayload;
    this.maxQueued = maxQueued;
  }

  /** Counts a write the application just made, on whatever thread it made it. */
  void count(int length) {
    queuedBytes.addAndGet(length);
  }

  /** Queues a write that {@link #count} already counted (on the loop). */
  Future<Void> write(Buffer data) {
    if (failure != null || endPromise != null) {
      queuedBytes.addAndGet(-data.length());
      return Future.failedFuture(
          failure != null
              ? failure
              : new IllegalStateException("stream " + stream.id() + " was already ended"));
    }
    if (data.length() == 0) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    chunks.add(new Chunk(data, promise));
    writer.schedule(stream);
    return promise.future();
  }

  /** Half-closes after the queued data; the same future for repeated calls. */
  Future<Void> end() {
    if (failure != null) {
      return Future.failedFuture(failure);
    }
    if (endPromise == null) {
      endPromise = Promise.promise();
      sendEndIfDrained();
    }
    return endPromise.future();
  }

  boolean endSent() {
    return endSent;
  }

  /** Whether a DATA frame can go out now: something is queued and the peer granted credit. */
  boolean canSend() {
    return failure == null && credit > 0 && !chunks.isEmpty();
  }

  /** Sends the next DATA frame (at most one, within the credit), then HALF_CLOSE if due. */
  void sendNext() {
    if (!canSend()) {
      return;
    }
    Chunk chunk = chunks.peek();
    int length = (int) Math.min(Math.min(chunk.data.length() - chunk.offset, maxPayload), credit);
    Future<Void> sent = writer.sendData(stream.id(), chunk.data, chunk.offset, length);
    chunk.offset += length;
    credit -= length;
    long queued = queuedBytes.addAndGet(-length);
    sentBytes += length;
    if (chunk.offset == chunk.data.length()) {
      chunks.poll();
      sent.onComplete(chunk.promise);
    }
    if (drainOwed && queued <= maxQueued / 2) {
      drainOwed = false;
      stream.drained();
    }
    sendEndIfDrained();
  }

  /** Adds credit from a WINDOW_UPDATE; a window above 2^31-1 is a flow-control error. */
  void addCredit(int increment) throws ProtocolException {
    long next = credit + increment;
    if (next > Integer.MAX_VALUE) {
      throw new ProtocolException(
          ErrorCode.FLOW_CONTROL_ERROR,
          "WINDOW_UPDATE of " + increment + " overflows the send window of stream " + stream.id());
    }
    credit = next;
    writer.schedule(stream);
  }

  void maxQueued(int maxQueued) {
    this.maxQueued = maxQueued;
  }

  /**
   * Whether the application should stop writing; any thread. Seeing it full owes a drain, which the
   * loop pays once the queue is half empty.
   */
  boolean writeQueueFull() {
    if (queuedBytes.get() < maxQueued) {
      return false;
    }
    drainOwed = true;
    return queuedBytes.get() >= maxQueued;
  }

  /** Fails every queued write and a pending end; later writes fail too. */
  void fail(Throwable cause) {
    failure = cause;
    drainOwed = false;
    Chunk chunk;
    while ((chunk = chunks.poll()) != null) {
      // writes still hopping to the loop uncount themselves when they arrive
      queuedBytes.addAndGet(chunk.offset - chunk.data.length());
      chunk.promise.tryFail(cause);
    }
    if (endPromise != null && !endSent) {
      endPromise.tryFail(cause);
    }
  }

  long queuedBytes() {
    return queuedBytes.get();
  }

  long sentBytes() {
    return sentBytes;
  }

  private void sendEndIfDrained() {
    if (failure == null && endPromise != null && !endSent && chunks.isEmpty()) {
      endSent = true;
      writer.send(Frame.halfClose(stream.id())).onComplete(endPromise);
      stream.removeIfClosed();
    }
  }
}
