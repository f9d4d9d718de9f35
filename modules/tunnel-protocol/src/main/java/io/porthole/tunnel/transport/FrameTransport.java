package io.porthole.tunnel.transport;

import io.porthole.tunnel.transport.impl.WebSocketFrameTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketBase;

/**
 * Something that carries whole binary frames in both directions, with back-pressure on the send
 * side. The multiplexer needs nothing more from the wire.
 *
 * <p>All handlers are invoked on {@link #context()} (an event-loop context), and the methods are
 * meant to be called from that context too.
 */
public interface FrameTransport {

  /**
   * Adapts a Vert.x WebSocket. When the handshake negotiated {@link
   * WebSocketSettings#SUBPROTOCOL_BATCHED}, small frames sent during one event-loop task share one
   * binary message, and inbound messages may hold several frames; otherwise each binary message is
   * exactly one frame (protocol version 1's mapping). Must be called on the WebSocket's own context
   * (inside the server's {@code webSocketHandler} or the client's {@code connect} callback);
   * inbound messages are held until a frame handler is installed.
   *
   * @throws IllegalStateException if not called on a Vert.x event-loop context
   */
  static FrameTransport webSocket(WebSocketBase webSocket) {
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext()) {
      throw new IllegalStateException(
          "FrameTransport.webSocket must be called on the WebSocket's event-loop context");
    }
    return new WebSocketFrameTransport(
        context, webSocket, WebSocketSettings.SUBPROTOCOL_BATCHED.equals(webSocket.subProtocol()));
  }

  /** The event-loop context all handlers run on. */
  Context context();

  /** Receives each inbound frame (one whole encoded frame per buffer). */
  FrameTransport frameHandler(Handler<Buffer> handler);

  /** Called once when the transport is closed, by either side or by failure. */
  FrameTransport closeHandler(Handler<Void> handler);

  /**
   * Called on a transport-level failure (I/O error, or bytes that cannot be a frame, in which case
   * the error is a {@link io.porthole.tunnel.protocol.ProtocolException}).
   */
  FrameTransport exceptionHandler(Handler<Throwable> handler);

  /** Sends one encoded frame; the future completes once it was written to the wire. */
  Future<Void> send(Buffer frame);

  /** Whether the send queue is above its high-water mark; stop sending bulk data until drained. */
  boolean writeQueueFull();

  /** Called when the send queue drops back below its low-water mark. */
  FrameTransport drainHandler(Handler<Void> handler);

  /** Closes the transport; pending sends are flushed first where the transport allows it. */
  Future<Void> close();

  /** Whether the transport is closed. */
  boolean isClosed();
}
