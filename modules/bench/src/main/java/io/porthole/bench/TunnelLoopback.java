package io.porthole.bench;

import io.porthole.tunnel.mux.Multiplexer;
import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.mux.MuxStream;
import io.porthole.tunnel.mux.Role;
import io.porthole.tunnel.transport.FrameTransport;
import io.porthole.tunnel.transport.WebSocketSettings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Real tunnels on loopback, both ends in this JVM: a WebSocket server on 127.0.0.1:0 whose
 * connections become OPENER multiplexers (the API side) on one event loop, and WebSocket clients
 * that become ACCEPTOR multiplexers (the sandbox side) on another, with the default {@link
 * MuxOptions} and the {@link WebSocketSettings} presets. Each server-side connection is matched to
 * its client by an id in the query string.
 */
final class TunnelLoopback {

  /** Both ends of one tunnel connection. */
  record Tunnel(Multiplexer opener, Multiplexer acceptor) {

    /** Closes from the API side (GOAWAY); completes once both ends are closed. */
    Future<Void> close() {
      Promise<Void> acceptorClosed = Promise.promise();
      acceptor.closeHandler(reason -> acceptorClosed.tryComplete());
      return Future.all(opener.close("benchmark done"), acceptorClosed.future()).mapEmpty();
    }
  }

  private static final String HOST = "127.0.0.1";

  private final Context clientContext;
  private final MuxOptions options;
  private final Map<String, Promise<Multiplexer>> openers = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private HttpServer server;
  private WebSocketClient client;

  private TunnelLoopback(Context clientContext, MuxOptions options) {
    this.options = new MuxOptions(options).validate();
    this.clientContext = clientContext;
  }

  /**
   * Starts the server on {@code serverContext}; clients connect from {@code clientContext}, at most
   * {@code maxConnections} at once. Both ends of every tunnel use {@code options}.
   */
  static Future<TunnelLoopback> start(
      Vertx vertx,
      Context serverContext,
      Context clientContext,
      int maxConnections,
      MuxOptions options) {
    TunnelLoopback loopback = new TunnelLoopback(clientContext, options);
    int maxPayload = loopback.options.getMaxFramePayload();
    loopback.client =
        vertx.createWebSocketClient(
            WebSocketSettings.apply(new WebSocketClientOptions(), maxPayload)
                .setMaxConnections(maxConnections));
    HttpServerOptions serverOptions =
        WebSocketSettings.apply(new HttpServerOptions(), maxPayload).setHost(HOST).setPort(0);
    return EventLoops.call(
            serverContext,
            () -> vertx.createHttpServer(serverOptions).webSocketHandler(loopback::accept).listen())
        .map(
            server -> {
              loopback.server = server;
              return loopback;
            });
  }

  /**
   * Connects a tunnel whose sandbox side hands streams to {@code streamHandler}; completes after a
   * PING round trip, so both ends are up and reading.
   */
  Future<Tunnel> connect(Handler<MuxStream> streamHandler) {
    String id = Long.toString(ids.incrementAndGet());
    Promise<Multiplexer> opener = openers.computeIfAbsent(id, k -> Promise.promise());
    WebSocketConnectOptions connectOptions =
        WebSocketSettings.offerBatching(new WebSocketConnectOptions())
            .setHost(HOST)
            .setPort(server.actualPort())
            .setURI("/tunnel?id=" + id);
    return EventLoops.call(
            clientContext,
            () ->
                client
                    .connect(connectOptions)
                    .compose(
                        ws -> {
                          // on the WebSocket's own context, as FrameTransport.webSocket requires
                          Multiplexer acceptor =
                              Multiplexer.create(
                                  FrameTransport.webSocket(ws), Role.ACCEPTOR, options);
                          acceptor.streamHandler(streamHandler);
                          return opener.future().map(o -> new Tunnel(o, acceptor));
                        })
                    .compose(tunnel -> tunnel.opener().ping().map(tunnel)))
        .andThen(ar -> openers.remove(id));
  }

  /** Stops the server and the client. */
  Future<Void> close() {
    return Future.join(server.close(), client.close()).mapEmpty();
  }

  private void accept(ServerWebSocket ws) {
    String query = ws.query();
    String id = query != null && query.startsWith("id=") ? query.substring(3) : "";
    Multiplexer opener = Multiplexer.create(FrameTransport.webSocket(ws), Role.OPENER, options);
    openers.computeIfAbsent(id, k -> Promise.promise()).tryComplete(opener);
  }
}
