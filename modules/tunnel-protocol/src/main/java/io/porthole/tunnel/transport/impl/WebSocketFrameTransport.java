package io.porthole.tunnel.transport.impl;

import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.ProtocolException;
import io.porthole.tunnel.transport.FrameTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link FrameTransport} over a Vert.x WebSocket: one binary message per frame. Text messages are a
 * protocol error. Send back-pressure comes from the WebSocket's write queue.
 */
public final class WebSocketFrameTransport implements FrameTransport {

  private static final Logger log = LoggerFactory.getLogger(WebSocketFrameTransport.class);

  private static final short NORMAL_CLOSURE = 1000;

  private final Context context;
  private final WebSocketBase webSocket;
  private Handler<Void> closeHandler;
  private Handler<Throwable> exceptionHandler;
  private Handler<Void> drainHandler;
  private boolean closed;

  public WebSocketFrameTransport(Context context, WebSocketBase webSocket) {
    this.context = context;
    this.webSocket = webSocket;
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

  @Override
  public FrameTransport frameHandler(Handler<Buffer> handler) {
    webSocket.binaryMessageHandler(handler);
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
    return webSocket.writeBinaryMessage(frame);
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
