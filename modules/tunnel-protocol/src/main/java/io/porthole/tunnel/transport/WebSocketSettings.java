package io.porthole.tunnel.transport;

import io.porthole.tunnel.protocol.FrameCodec;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.List;

/**
 * WebSocket option presets for tunnel connections: TCP_NODELAY on, no compression, and frame /
 * message limits that fit one tunnel frame of {@code maxFramePayload} bytes without WebSocket
 * fragmentation, with headroom so an oversized tunnel frame is rejected by the tunnel codec (with a
 * GOAWAY) rather than by the WebSocket layer. The server accepts the batched mapping ({@link
 * #SUBPROTOCOL_BATCHED}) and unmasked client frames; a client offers the batched mapping with
 * {@link #offerBatching}.
 */
public final class WebSocketSettings {

  /**
   * The WebSocket subprotocol under which one binary message may carry several whole frames. A
   * handshake without it keeps version 1's mapping: one frame per message.
   */
  public static final String SUBPROTOCOL_BATCHED = "porthole-tunnel.v2";

  private WebSocketSettings() {}

  /** Offers the batched mapping on a tunnel handshake and returns the options. */
  public static WebSocketConnectOptions offerBatching(WebSocketConnectOptions options) {
    return options.addSubProtocol(SUBPROTOCOL_BATCHED);
  }

  /** The WebSocket message size limit used for a given max frame payload. */
  public static int maxMessageSize(int maxFramePayload) {
    return 2 * (FrameCodec.HEADER_SIZE + maxFramePayload);
  }

  /** Applies the tunnel presets to server options and returns them. */
  public static HttpServerOptions apply(HttpServerOptions options, int maxFramePayload) {
    int size = maxMessageSize(maxFramePayload);
    return options
        .setTcpNoDelay(true)
        .setWebSocketSubProtocols(List.of(SUBPROTOCOL_BATCHED))
        // both ends are Porthole: masking client frames (RFC 6455 5.3) protects browsers' proxies
        // from cache poisoning and costs a pass over every byte; the client decides (see below)
        .setAcceptUnmaskedFrames(true)
        .setMaxWebSocketFrameSize(size)
        .setMaxWebSocketMessageSize(size)
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false);
  }

  /**
   * Applies the tunnel presets to WebSocket client options and returns them; frames are sent
   * unmasked (a tunnel server built with {@link #apply(HttpServerOptions, int)} accepts them),
   * which a client behind an intermediary that insists on masking turns back on with {@code
   * setSendUnmaskedFrames(false)}.
   */
  public static WebSocketClientOptions apply(WebSocketClientOptions options, int maxFramePayload) {
    int size = maxMessageSize(maxFramePayload);
    options.setTcpNoDelay(true);
    options.setSendUnmaskedFrames(true);
    return options
        .setMaxFrameSize(size)
        .setMaxMessageSize(size)
        .setTryUsePerFrameCompression(false)
        .setTryUsePerMessageCompression(false);
  }
}
