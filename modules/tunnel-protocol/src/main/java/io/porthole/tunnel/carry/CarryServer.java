package io.porthole.tunnel.carry;

import io.porthole.tunnel.mux.MuxStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox end of carried streams: decodes a stream's target, asks the resolver for the
 * container address of (session, port) — the only addresses it will ever connect to — and carries
 * the HTTP exchange, WebSocket session or TCP bytes there with Vert.x clients.
 */
public final class CarryServer {

  private static final Logger log = LoggerFactory.getLogger(CarryServer.class);

  private final BiFunction<String, Integer, Future<SocketAddress>> resolver;
  private final HttpClient http;
  private final WebSocketClient ws;
  private final NetClient tcp;

  /**
   * @param resolver (session id, port) → the container's address, or a failure ({@link
   *     CarryException} keeps its status and code) when the target is not allowed
   */
  public CarryServer(Vertx vertx, BiFunction<String, Integer, Future<SocketAddress>> resolver) {
    this.resolver = resolver;
    this.http =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setTcpNoDelay(true)
                .setConnectTimeout(5_000)
                .setKeepAlive(true)
                .setDecompressionSupported(false),
            new PoolOptions().setHttp1MaxSize(64));
    this.ws =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setConnectTimeout(5_000)
                // each WebSocket is its own connection: Vert.x's default of 50 per endpoint made
                // the 51st WebSocket to one container port wait forever (found by scripts/bench)
                .setMaxConnections(MAX_WEBSOCKETS_PER_PORT)
                .setMaxMessageSize(64 * 1024 * 1024));
    this.tcp =
        vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(5_000));
  }

  /** WebSockets one sandbox carries to one container port at once. */
  static final int MAX_WEBSOCKETS_PER_PORT = 10_000;

  /** Serves one stream opened by the API side. */
  public void handle(MuxStream stream) {
    StreamTarget target;
    try {
      target = StreamTarget.decode(stream.metadata());
    } catch (IllegalArgumentException e) {
      log.warn("refused stream {}: {}", stream.id(), e.getMessage());
      stream.reset(TcpOverTunnel.REFUSED, e.getMessage());
      return;
    }
    stream.pause();
    resolver
        .apply(target.sessionId(), target.port())
        .onSuccess(origin -> carry(stream, target, origin))
        .onFailure(err -> refuse(stream, target, err));
  }

  private void carry(MuxStream stream, StreamTarget target, SocketAddress origin) {
    switch (target.kind()) {
      case HTTP -> HttpOverTunnel.serve(stream, target, http, origin);
      case WS -> WsOverTunnel.serve(stream, target, ws, origin);
      case TCP -> TcpOverTunnel.serve(stream, target, tcp, origin);
      default -> stream.reset();
    }
  }

  private static void refuse(MuxStream stream, StreamTarget target, Throwable err) {
    CarryException e =
        err instanceof CarryException ce
            ? ce
            : new CarryException(502, "bad_gateway", String.valueOf(err.getMessage()));
    log.info(
        "refused {} stream to session {} port {}: {}",
        target.kind(),
        target.sessionId(),
        target.port(),
        e.getMessage());
    if (target.kind() == StreamTarget.Kind.TCP) {
      stream.reset(TcpOverTunnel.REFUSED, e.getMessage());
    } else {
      HttpOverTunnel.fail(new RecordWriter(stream), e.status(), e.code(), e.getMessage());
    }
  }

  public Future<Void> close() {
    return Future.join(http.close(), ws.close(), tcp.close()).mapEmpty();
  }
}
