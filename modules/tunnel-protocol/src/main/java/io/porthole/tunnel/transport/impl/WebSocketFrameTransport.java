package io.porthole.tunnel.transport.impl;

import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.FrameCodec;
import io.porthole.tunnel.protocol.ProtocolException;
import io.porthole.tunnel.transport.FrameTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link FrameTransport} over a Vert.x WebSocket. Text messages are a protocol error. Send
 * back-pressure comes from the WebSocket's write queue.
 *
 * <p>Without batching (a peer that did not negotiate {@code porthole-tunnel.v2}) each binary
 * message is one frame. With batching, small frames sent during one event-loop task are
 * concatenated into one message, written when the task ends: a request's OPEN, head and HALF_CLOSE,
 * or the frames of many streams served in one turn of the loop, cost one WebSocket frame and one
 * system call instead of one each. Large frames (bulk DATA) are never copied into a batch; they go
 * out on their own, after the batch they follow. Inbound messages are split back into frames by
 * their length fields.
 */
public final class WebSocketFrameTransport implements FrameTransport {

  private static final Logger log = LoggerFactory.getLogger(WebSocketFrameTransport.class);

  private static final short NORMAL_CLOSURE = 1000;

  /** Frames at least this large are not copied into a batch. */
  static final int BATCH_COPY_LIMIT = 4 * 1024;

  /** A batch is written once it holds this many bytes, without waiting for the task to end. */
  static final int BATCH_MAX_BYTES = 16 * 1024;

  private final Context context;
  private final WebSocketBase webSocket;
  private final boolean batching;
  private Buffer batch;
  private Promise<Void> batchWritten;
  private Handler<Buffer> frameHandler;
  private Handler<Void> closeHandler;
  private Handler<Throwable> exceptionHandler;
  private Handler<Void> drainHandler;
  private boolean closed;

  public WebSocketFrameTransport(Context context, WebSocketBase webSocket, boolean batching) {
    this.context = context;
    this.webSocket = webSocket;
    this.batching = batching;
    // hold inbound messages until the multiplexer installs its frame handler
    webSocket.pause();
    webSocket.textMessageHandler(this::onText);
    webSocket.exceptionHandler(this::onException);
    webSocket.closeHandler(v -> onClose());
    webSocket.drainHandler(v -> onDrain());
  }

  @Override
  public Context context() {
    return context;
  }

  /** Whether several frames may share one WebSocket message (both directions). */
  public boolean batching() {
    return batching;
  }

  @Override
  public FrameTransport frameHandler(Handler<Buffer> handler) {
    this.frameHandler = handler;
    webSocket.binaryMessageHandler(handler == null ? null : batching ? this::onBatch : handler);
    if (handler != null) {
      webSocket.resume();
    } else {
      webSocket.pause();
    }
    return this;
  }

  @Override
  public FrameTransport closeHandler(Handler<Void> handler) {
    this.closeHandler = handler;
    return this;
  }

  @Override
  public FrameTransport exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public Future<Void> send(Buffer frame) {
    if (!batching) {
      return webSocket.writeBinaryMessage(frame);
    }
    if (frame.length() >= BATCH_COPY_LIMIT) {
      writeBatch();
      return webSocket.writeBinaryMessage(frame);
    }
    if (batch == null) {
      batch = Buffer.buffer(BATCH_MAX_BYTES / 4);
      batchWritten = Promise.promise();
      // runs once the current task (and the I/O events of this loop turn) are done
      context.runOnContext(v -> writeBatch());
    }
    batch.appendBuffer(frame);
    Future<Void> written = batchWritten.future();
    if (batch.length() >= BATCH_MAX_BYTES) {
      writeBatch();
    }
    return written;
  }

  private void writeBatch() {
    Buffer pending = batch;
    if (pending == null) {
      return;
    }
    Promise<Void> promise = batchWritten;
    batch = null;
    batchWritten = null;
    if (isClosed()) {
      promise.tryFail("the tunnel WebSocket is closed");
      return;
    }
    webSocket.writeBinaryMessage(pending).onComplete(promise);
  }

  /** Splits one inbound message into frames by their length fields and hands each on. */
  private void onBatch(Buffer message) {
    int length = message.length();
    int at = 0;
    while (at < length) {
      Handler<Buffer> handler = frameHandler;
      if (handler == null || closed) {
        return;
      }
      int end = length;
      if (length - at >= FrameCodec.HEADER_SIZE) {
        long payload = message.getUnsignedInt(at + FrameCodec.LENGTH_OFFSET);
        if (payload <= length - at - FrameCodec.HEADER_SIZE) {
          end = at + FrameCodec.HEADER_SIZE + (int) payload;
        }
      }
      // a short or overlong tail is passed on whole: the codec rejects it with FRAME_SIZE_ERROR
      handler.handle(at == 0 && end == length ? message : message.slice(at, end));
      at = end;
    }
  }

  @Override
  public boolean writeQueueFull() {
    // a closed WebSocket throws here; "full" stops the sender until the close handler fails the
    // streams with the tunnel's own error
    if (closed || webSocket.isClosed()) {
      return true;
    }
    try {
      return webSocket.writeQueueFull();
    } catch (IllegalStateException closing) {
      return true;
    }
  }

  @Override
  public FrameTransport drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    return this;
  }

  @Override
  public Future<Void> close() {
    writeBatch();
    if (webSocket.isClosed()) {
      return Future.succeededFuture();
    }
    return webSocket.close(NORMAL_CLOSURE, "tunnel closed");
  }

  @Override
  public boolean isClosed() {
    return closed || webSocket.isClosed();
  }

  private void onText(String text) {
    onException(
        new ProtocolException(
            ErrorCode.PROTOCOL_ERROR,
            "text WebSocket message received; tunnel frames travel in binary messages only"));
  }

  private void onException(Throwable error) {
    Handler<Throwable> handler = exceptionHandler;
    if (handler != null) {
      handler.handle(error);
    } else {
      log.warn("WebSocket transport failure with no exception handler installed", error);
    }
  }

  private void onDrain() {
    Handler<Void> handler = drainHandler;
    if (handler != null) {
      handler.handle(null);
    }
  }

  private void onClose() {
    if (closed) {
      return;
    }
    closed = true;
    Handler<Void> handler = closeHandler;
    if (handler != null) {
      handler.handle(null);
    }
  }
}
