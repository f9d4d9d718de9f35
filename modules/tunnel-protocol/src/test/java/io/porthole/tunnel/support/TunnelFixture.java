package io.porthole.tunnel.support;

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
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real tunnel on loopback: an HTTP server on 127.0.0.1:0 whose WebSocket connections become
 * OPENER multiplexers (the API side), and WebSocket clients that become ACCEPTOR multiplexers (the
 * sandbox side). Server-side connections are matched to clients by an id in the query string.
 */
public final class TunnelFixture {

  /** Both ends of one tunnel connection plus the raw sockets under them. */
  public record Tunnel(
      Multiplexer opener,
      Multiplexer acceptor,
      ServerWebSocket serverSocket,
      WebSocket clientSocket) {}

  /** A server-side multiplexer and its raw socket. */
  public record ServerSide(Multiplexer mux, ServerWebSocket socket) {}

  private final Vertx vertx;
  private final MuxOptions serverOptions;
  private final MuxOptions clientOptions;
  private Context clientContext;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<String, Promise<ServerSide>> serverSides = new ConcurrentHashMap<>();
  private HttpServer server;
  private WebSocketClient client;

  public TunnelFixture(Vertx vertx, MuxOptions serverOptions, MuxOptions clientOptions) {
    this.vertx = vertx;
    this.serverOptions = serverOptions;
    this.clientOptions = clientOptions;
  }

  public TunnelFixture(Vertx vertx) {
    this(vertx, new MuxOptions(), new MuxOptions());
  }

  /**
   * Starts the server on an ephemeral loopback port. Server and clients get their own event loops,
   * so the two ends of a tunnel run on different threads, like two hosts would.
   */
  public Future<TunnelFixture> start() {
    int maxPayload = serverOptions.getMaxFramePayload();
    HttpServerOptions options = WebSocketSettings.apply(new HttpServerOptions(), maxPayload);
    client =
        vertx.createWebSocketClient(
            WebSocketSettings.apply(new WebSocketClientOptions(), maxPayload));
    return Contexts.newEventLoop(vertx)
        .compose(
            ctx -> {
              clientContext = ctx;
              return Contexts.newEventLoop(vertx);
            })
        .compose(
            serverContext -> {
              Promise<HttpServer> listening = Promise.promise();
              serverContext.runOnContext(
                  v ->
                      vertx
                          .createHttpServer(options.setHost("127.0.0.1").setPort(0))
                          .webSocketHandler(this::accept)
                          .listen()
                          .onComplete(listening));
              return listening.future();
            })
        .map(
            s -> {
              server = s;
              return this;
            });
  }

  public int port() {
    return server.actualPort();
  }

  /** Connects a sandbox-side ACCEPTOR whose streams go to {@code streamHandler}. */
  public Future<Tunnel> connect(Handler<MuxStream> streamHandler) {
    return connect(streamHandler, port());
  }

  /** Like {@link #connect(Handler)} but dialing {@code port} (e.g. a proxy in front). */
  public Future<Tunnel> connect(Handler<MuxStream> streamHandler, int port) {
    String id = "t" + ids.incrementAndGet();
    Promise<ServerSide> serverSide = serverSide(id);
    Promise<Tunnel> tunnel = Promise.promise();
    clientContext.runOnContext(
        v ->
            client
                .connect(connectOptions(port, id))
                .compose(
                    ws -> {
                      // on the WebSocket's own context, as FrameTransport.webSocket requires
                      Multiplexer acceptor =
                          Multiplexer.create(
                              FrameTransport.webSocket(ws), Role.ACCEPTOR, clientOptions);
                      acceptor.streamHandler(streamHandler);
                      return serverSide
                          .future()
                          .map(side -> new Tunnel(side.mux(), acceptor, side.socket(), ws));
                    })
                // a PING round trip: both ends are up and reading before the test starts
                .compose(t -> t.opener().ping().map(t))
                .onComplete(tunnel));
    return tunnel.future();
  }

  /** Connects a raw WebSocket (no multiplexer) that the server treats as a tunnel. */
  public Future<RawClient> connectRaw() {
    return connectRaw(false);
  }

  /**
   * A raw client offering the batched mapping ({@code true}: several frames per message both ways)
   * or not (version 1's mapping, one frame per message, which the raw client then insists on).
   */
  public Future<RawClient> connectRaw(boolean batched) {
    String id = "raw" + ids.incrementAndGet();
    Promise<ServerSide> serverSide = serverSide(id);
    WebSocketConnectOptions options =
        new WebSocketConnectOptions()
            .setHost("127.0.0.1")
            .setPort(port())
            .setURI("/tunnel?id=" + id);
    return client
        .connect(batched ? WebSocketSettings.offerBatching(options) : options)
        .map(ws -> new RawClient(ws, serverSide.future(), serverOptions.getMaxFramePayload()));
  }

  private Promise<ServerSide> serverSide(String id) {
    return serverSides.computeIfAbsent(id, k -> Promise.promise());
  }

  private WebSocketConnectOptions connectOptions(int port, String id) {
    return WebSocketSettings.offerBatching(new WebSocketConnectOptions())
        .setHost("127.0.0.1")
        .setPort(port)
        .setURI("/tunnel?id=" + id);
  }

  private void accept(ServerWebSocket ws) {
    String query = ws.query();
    String id = query != null && query.startsWith("id=") ? query.substring(3) : "";
    Multiplexer opener =
        Multiplexer.create(FrameTransport.webSocket(ws), Role.OPENER, serverOptions);
    serverSide(id).tryComplete(new ServerSide(opener, ws));
  }
}
