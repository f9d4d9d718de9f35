package io.porthole.tunnel.transport;

import io.porthole.tunnel.protocol.FrameCodec;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClientOptions;

/**
 * WebSocket option presets for tunnel connections: TCP_NODELAY on, no compression, and frame /
 * message limits that fit one tunnel frame of {@code maxFramePayload} bytes without WebSocket
 * fragmentation, with headroom so an oversized tunnel frame is rejected by the tunnel codec (with a
 * GOAWAY) rather than by the WebSocket layer.
 */
public final class WebSocketSettings {

  private WebSocketSettings() {}

  /** The WebSocket message size limit used for a given max frame payload. */
  public static int maxMessageSize(int maxFramePayload) {
    return 2 * (FrameCodec.HEADER_SIZE + maxFramePayload);
  }

  /** Applies the tunnel presets to server options and returns them. */
  public static HttpServerOptions apply(HttpServerOptions options, int maxFramePayload) {
    int size = maxMessageSize(maxFramePayload);
    return options
        .setTcpNoDelay(true)
        .setMaxWebSocketFrameSize(size)
        .setMaxWebSocketMessageSize(size)
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false);
  }

  /** Applies the tunnel presets to WebSocket client options and returns them. */
  public static WebSocketClientOptions apply(WebSocketClientOptions options, int maxFramePayload) {
    int size = maxMessageSize(maxFramePayload);
    options.setTcpNoDelay(true);
    return options
        .setMaxFrameSize(size)
        .setMaxMessageSize(size)
        .setTryUsePerFrameCompression(false)
        .setTryUsePerMessageCompression(false);
  }
}
