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
 * One stream: a {@link ReadHalf}, a {@link WriteHalf} and the lifecycle joining them. State is
 * confined to the connection's event loop; public methods hop there when called from elsewhere.
 *
 * <p>The stream leaves the connection's table once this side sent HALF_CLOSE and the peer's
 * HALF_CLOSE arrived, or on RESET (either side) or connection death. Data already buffered stays
 * readable after a clean close.
 */
final class MuxStreamImpl implements MuxStream {

  private static final Logger log = LoggerFactory.getLogger(MuxStreamImpl.class);

  private final StreamTable table;
  private final Loop loop;
  private final FrameWriter writer;
  private final int id;
  private final Buffer metadata;
  private final ReadHalf in;
  private final WriteHalf out;

  /** Whether the stream sits in the writer's ready queue; owned by {@link FrameWriter}. */
  boolean scheduled;

  private boolean removed;
  private Throwable failure;
  private boolean failureDelivered;
  private Handler<Throwable> exceptionHandler;

  MuxStreamImpl(
      StreamTable table, Loop loop, FrameWriter writer, MuxOptions options, int id, Buffer meta) {
    this.table = table;
    this.loop = loop;
    this.writer = writer;
    this.id = id;
    this.metadata = meta;
    this.in = new ReadHalf(this, options.getInitialWindowSize());
    this.out =
        new WriteHalf(
            this, writer, options.getMaxFramePayload(), options.getStreamWriteQueueMaxSize());
  }

  /** Grants the receive window beyond the protocol default, if configured larger. */
  void start() {
    int extra = in.initialExtraCredit();
    if (extra > 0) {
      grantCredit(extra);
    }
  }

  // ---- frames from the peer, and calls from the halves and the writer (on the loop) ----

  void onData(Buffer payload) throws ProtocolException {
    in.receive(payload);
  }

  void onHalfClose() throws ProtocolException {
    in.end();
    removeIfClosed();
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

  void grantCredit(int increment) {
    writer.send(Frame.windowUpdate(id, increment));
  }

  void removeIfClosed() {
    if (!removed && out.endSent() && in.ended()) {
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
    in.fail();
    log.debug("stream {} failed: {}", id, cause.getMessage());
    deliverFailure();
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
    return loop.call(() -> out.write(data));
  }

  @Override
  public Future<Void> end() {
    return loop.call(out::end);
  }

  @Override
  public Future<Void> reset(int code, String reason) {
    return loop.call(
        () -> {
          if (failure != null) {
            return Future.succeededFuture();
          }
          if (removed) {
            // closed cleanly in both directions: nothing left to abort on the wire
            in.fail();
            return Future.succeededFuture();
          }
          Future<Void> sent = writer.send(Frame.reset(id, code, reason));
          fail(new StreamResetException(id, code, reason, false));
          return sent;
        });
  }

  @Override
  public MuxStream setWriteQueueMaxSize(int maxSize) {
    if (maxSize <= 0) {
      throw new IllegalArgumentException("write queue max size must be positive");
    }
    loop.run(() -> out.maxQueued(maxSize));
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return out.full();
  }

  @Override
  public MuxStream drainHandler(Handler<Void> handler) {
    loop.run(() -> out.drainHandler(handler));
    return this;
  }

  @Override
  public MuxStream exceptionHandler(Handler<Throwable> handler) {
    loop.run(
        () -> {
          exceptionHandler = handler;
          deliverFailure();
        });
    return this;
  }

  @Override
  public MuxStream handler(Handler<Buffer> handler) {
    loop.run(() -> in.handler(handler));
    return this;
  }

  @Override
  public MuxStream endHandler(Handler<Void> handler) {
    loop.run(() -> in.endHandler(handler));
    return this;
  }

  @Override
  public MuxStream pause() {
    loop.run(in::pause);
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
    loop.run(() -> in.fetch(amount));
    return this;
  }

  @Override
  public long bytesReceived() {
    return in.receivedBytes();
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

  private void deliverFailure() {
    Handler<Throwable> handler = exceptionHandler;
    if (failure != null && !failureDelivered && handler != null) {
      failureDelivered = true;
      invoke(handler, failure);
    }
  }
}
