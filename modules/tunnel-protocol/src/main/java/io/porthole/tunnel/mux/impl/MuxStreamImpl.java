package io.porthole.tunnel.mux.impl;

import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.mux.MuxStream;
import io.porthole.tunnel.mux.StreamResetException;
import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream: a {@link ReadHalf}, a {@link WriteHalf} and the lifecycle joining them.
 *
 * <p><b>Two contexts.</b> Protocol state (credit, half-close, reset, the write queue) is confined
 * to the tunnel's event loop. The application's side (delivery of data, end, drain and failure, and
 * the completion of its futures) runs on the stream's owner context: the context that opened it, or
 * the tunnel's own for streams the peer opened. So a stream behaves like any Vert.x stream of the
 * caller's context, and piping it to or from an HTTP request of another event loop never mixes
 * threads in one object. When both contexts are the same nothing hops.
 *
 * <p>The stream leaves the connection's table once this side sent HALF_CLOSE and the peer's
 * HALF_CLOSE arrived, or on RESET (either side) or connection death. Data already buffered stays
 * readable after a clean close.
 */
final class MuxStreamImpl implements MuxStream {

  private static final Logger log = LoggerFactory.getLogger(MuxStreamImpl.class);

  private final StreamTable table;
  private final Loop loop;
  private final Loop owner;
  private final FrameWriter writer;
  private final int id;
  private final Buffer metadata;
  private final ReadHalf in;
  private final WriteHalf out;

  /** Whether the stream sits in the writer's ready queue; owned by {@link FrameWriter}. */
  boolean scheduled;

  // on the loop
  private long receiveCredit;
  private boolean peerEnded;
  private boolean removed;
  private volatile long receivedBytes;
  private volatile Throwable failure;

  // on the owner
  private boolean failureDelivered;
  private Handler<Throwable> exceptionHandler;
  private Handler<Void> drainHandler;

  MuxStreamImpl(
      StreamTable table,
      Loop loop,
      Loop owner,
      FrameWriter writer,
      MuxOptions options,
      int id,
      Buffer meta) {
    this.table = table;
    this.loop = loop;
    this.owner = owner;
    this.writer = writer;
    this.id = id;
    this.metadata = meta;
    this.in = new ReadHalf(this, options.getInitialWindowSize());
    this.receiveCredit = in.window();
    this.out =
        new WriteHalf(
            this, writer, options.getMaxFramePayload(), options.getStreamWriteQueueMaxSize());
  }

  /** Grants the receive window beyond the protocol default, if configured larger. */
  void start() {
    int extra = in.initialExtraCredit();
    if (extra > 0) {
      writer.send(Frame.windowUpdate(id, extra));
    }
  }

  // ---- frames from the peer, and calls from the halves and the writer (on the loop) ----

  /** Accepts a DATA payload, enforcing the half-close and the window the peer was granted. */
  void onData(Buffer payload) throws ProtocolException {
    if (peerEnded) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR, "DATA on stream " + id + " after its HALF_CLOSE");
    }
    int length = payload.length();
    if (length > receiveCredit) {
      throw new ProtocolException(
          ErrorCode.FLOW_CONTROL_ERROR,
          "stream "
              + id
              + " received "
              + length
              + " bytes of DATA with only "
              + receiveCredit
              + " bytes of window left");
    }
    receiveCredit -= length;
    receivedBytes += length;
    owner.run(() -> in.receive(payload));
  }

  void onHalfClose() throws ProtocolException {
    if (peerEnded) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "duplicate HALF_CLOSE on stream " + id);
    }
    peerEnded = true;
    removeIfClosed();
    owner.run(in::end);
  }

  void onReset(int code, String reason) {
    fail(new StreamResetException(id, code, reason, true));
  }

  void onWindowUpdate(int increment) throws ProtocolException {
    out.addCredit(increment);
  }

  boolean canSendData() {
    return failure == null && out.canSend();
  }

  void writeNextFrame() {
    out.sendNext();
  }

  /** The write queue drained after the application saw it full. */
  void drained() {
    owner.run(() -> invoke(drainHandler, null));
  }

  void removeIfClosed() {
    if (!removed && out.endSent() && peerEnded) {
      removed = true;
      table.remove(this);
    }
  }

  /** Fails the stream: reset by either side, or the connection died. */
  void fail(Throwable cause) {
    if (failure != null) {
      return;
    }
    failure = cause;
    if (!removed) {
      removed = true;
      table.remove(this);
    }
    out.fail(cause);
    log.debug("stream {} failed: {}", id, cause.getMessage());
    owner.run(
        () -> {
          in.fail();
          deliverFailure();
        });
  }

  // ---- calls from the read half (on the owner) ----

  /** The application consumed {@code increment} bytes: the peer may send that much more. */
  void returnCredit(int increment) {
    loop.run(
        () -> {
          if (failure == null && !peerEnded) {
            receiveCredit += increment;
            writer.send(Frame.windowUpdate(id, increment));
          }
        });
  }

  /** Runs application code; a handler that throws gets its stream reset (INTERNAL_ERROR). */
  <T> void invoke(Handler<T> handler, T value) {
    if (handler == null) {
      return;
    }
    try {
      handler.handle(value);
    } catch (RuntimeException e) {
      log.error("handler of stream {} failed; resetting the stream", id, e);
      reset(ErrorCode.INTERNAL_ERROR.code(), "stream handler failed");
    }
  }

  // ---- MuxStream ----

  @Override
  public int id() {
    return id;
  }

  @Override
  public Buffer metadata() {
    return metadata;
  }

  @Override
  public Future<Void> write(Buffer data) {
    out.count(data.length());
    return toOwner(loop.call(() -> out.write(data)));
  }

  @Override
  public Future<Void> end() {
    return toOwner(loop.call(out::end));
  }

  @Override
  public Future<Void> reset(int code, String reason) {
    return toOwner(
        loop.call(
            () -> {
              if (failure != null) {
                return Future.succeededFuture();
              }
              if (removed) {
                // closed cleanly in both directions: nothing left to abort on the wire
                owner.run(in::fail);
                return Future.succeededFuture();
              }
              Future<Void> sent = writer.send(Frame.reset(id, code, reason));
              fail(new StreamResetException(id, code, reason, false));
              return sent;
            }));
  }

  @Override
  public MuxStream setWriteQueueMaxSize(int maxSize) {
    if (maxSize <= 0) {
      throw new IllegalArgumentException("write queue max size must be positive");
    }
    out.maxQueued(maxSize);
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return out.writeQueueFull();
  }

  @Override
  public MuxStream drainHandler(Handler<Void> handler) {
    owner.run(() -> drainHandler = handler);
    return this;
  }

  @Override
  public MuxStream exceptionHandler(Handler<Throwable> handler) {
    owner.run(
        () -> {
          exceptionHandler = handler;
          deliverFailure();
        });
    return this;
  }

  @Override
  public MuxStream handler(Handler<Buffer> handler) {
    owner.run(() -> in.handler(handler));
    return this;
  }

  @Override
  public MuxStream endHandler(Handler<Void> handler) {
    owner.run(() -> in.endHandler(handler));
    return this;
  }

  @Override
  public MuxStream pause() {
    owner.run(in::pause);
    return this;
  }

  @Override
  public MuxStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public MuxStream fetch(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("fetch amount must be >= 0, was " + amount);
    }
    owner.run(() -> in.fetch(amount));
    return this;
  }

  @Override
  public long bytesReceived() {
    return receivedBytes;
  }

  @Override
  public long bytesSent() {
    return out.sentBytes();
  }

  @Override
  public long bufferedInboundBytes() {
    return in.bufferedBytes();
  }

  @Override
  public long queuedOutboundBytes() {
    return out.queuedBytes();
  }

  @Override
  public String toString() {
    return "MuxStream{id=" + id + ", in=" + bytesReceived() + ", out=" + bytesSent() + "}";
  }

  private <T> Future<T> toOwner(Future<T> future) {
    return owner == loop ? future : owner.relay(future);
  }

  private void deliverFailure() {
    Handler<Throwable> handler = exceptionHandler;
    if (failure != null && !failureDelivered && handler != null) {
      failureDelivered = true;
      invoke(handler, failure);
    }
  }
}
