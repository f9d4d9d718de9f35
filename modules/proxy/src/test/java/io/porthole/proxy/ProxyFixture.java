package io.porthole.proxy;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.Hashing;
import io.porthole.common.config.Settings;
import io.porthole.tunnel.carry.CarryException;
import io.porthole.tunnel.carry.CarryServer;
import io.porthole.tunnel.mux.Multiplexer;
import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.mux.Role;
import io.porthole.tunnel.server.TunnelServerConfig;
import io.porthole.tunnel.server.TunnelServerVerticle;
import io.porthole.tunnel.server.Tunnels;
import io.porthole.tunnel.transport.FrameTransport;
import io.porthole.tunnel.transport.WebSocketSettings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * One Vert.x holding what a request crosses: a stand-in for the API's HTTP server with the proxy's
 * front door, the {@link ProxyVerticle}, a {@link TunnelServerVerticle}, a minimal sandbox end
 * dialing it (a {@link CarryServer} mapping "session:port" to loopback origins), and the registry
 * faked with event-bus consumers.
 */
final class ProxyFixture {

  static final String DOMAIN = "dev.localhost";
  static final String SANDBOX = "sbx-1";
  static final String SANDBOX_TOKEN = "sbx-token-ok";
  static final String ALICE_KEY = "phk_alice0000000000000000";
  static final String BOB_KEY = "phk_bob000000000000000000";
  static final String ADMIN_KEY = "phk_admin0000000000000000";
  static final String NOT_CLAIMED = "api router";

  final Vertx vertx;
  private final Map<String, JsonObject> exposures = new ConcurrentHashMap<>();
  private final Map<String, SocketAddress> origins = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> keys = new ConcurrentHashMap<>();
  private final List<HttpServer> originServers = new ArrayList<>();
  private final Tunnels tunnels = new Tunnels();
  private final ProxyFrontDoor door = new ProxyFrontDoor();
  private TunnelServerVerticle tunnelServer;
  private HttpServer api;
  private HttpClient client;
  private WebSocketClient webSockets;
  private NetClient net;
  private WebSocketClient sandboxDialer;
  private CarryServer carry;
  private Multiplexer sandboxMux;

  /** A reply read whole. */
  record Reply(int status, MultiMap headers, Buffer body) {
    JsonObject json() {
      return body.toJsonObject();
    }

    String text() {
      return body.toString();
    }
  }

  ProxyFixture(Vertx vertx) {
    this.vertx = vertx;
    keys.put(Hashing.sha256Hex(ALICE_KEY), key("key-a", "alice", false));
    keys.put(Hashing.sha256Hex(BOB_KEY), key("key-b", "bob", false));
    keys.put(Hashing.sha256Hex(ADMIN_KEY), key("key-admin", "root", true));
  }

  private static JsonObject key(String id, String owner, boolean admin) {
    return new JsonObject().put("key_id", id).put("owner", owner).put("admin", admin);
  }

  Future<Void> start() {
    fakeRegistry();
    JsonObject config =
        Settings.defaults()
            .put(Settings.NODE_ID.name(), "node-a")
            .put(Settings.HTTP_HOST.name(), "127.0.0.1")
            .put(Settings.HTTP_PORT.name(), 0)
            .put(Settings.TUNNEL_PORT.name(), 0)
            .put(Settings.PROXY_INTERNAL_PORT.name(), 0)
            .put(Settings.DEV_SUBDOMAIN.name(), DOMAIN)
            .put(Settings.CLUSTER_HOST.name(), "127.0.0.1");
    tunnelServer = new TunnelServerVerticle(tunnels);
    client =
        vertx.createHttpClient(
            new HttpClientOptions().setMaxHeaderSize(128 * 1024).setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(16));
    webSockets = vertx.createWebSocketClient();
    net = vertx.createNetClient();
    api =
        vertx
            .createHttpServer(
                new HttpServerOptions().setTcpNoDelay(true).setMaxHeaderSize(16 * 1024))
            .invalidRequestHandler(Errors::invalidRequest)
            .requestHandler(
                req -> {
                  if (door.claims(req)) {
                    door.handle(req);
                  } else {
                    req.response().setStatusCode(404).end(NOT_CLAIMED);
                  }
                });
    DeploymentOptions options = new DeploymentOptions().setConfig(config);
    return vertx
        .deployVerticle(tunnelServer, options)
        .compose(id -> dialTunnel())
        .compose(v -> attached(100))
        .compose(v -> vertx.deployVerticle(new ProxyVerticle(tunnels, door), options))
        .compose(id -> api.listen(0, "127.0.0.1"))
        .mapEmpty();
  }

  private void fakeRegistry() {
    var bus = vertx.eventBus();
    bus.<JsonObject>consumer(
        Addresses.REGISTRY_SANDBOX_AUTHENTICATE,
        msg -> {
          if (SANDBOX_TOKEN.equals(msg.body().getString("token"))) {
            msg.reply(new JsonObject().put("sandbox_id", msg.body().getString("sandbox_id")));
          } else {
            msg.fail(ErrorCode.UNAUTHORIZED.code(), "bad token");
          }
        });
    bus.<JsonObject>consumer(
        Addresses.REGISTRY_SANDBOX_CONNECTED, msg -> msg.reply(new JsonObject()));
    bus.<JsonObject>consumer(
        Addresses.REGISTRY_SANDBOX_DISCONNECTED, msg -> msg.reply(new JsonObject()));
    bus.<JsonObject>consumer(
        Addresses.PORTS_LIST,
        msg -> msg.reply(new JsonObject().put("allocations", new JsonArray())));
    bus.<JsonObject>consumer(
        Addresses.REGISTRY_KEY_AUTHENTICATE,
        msg -> {
          JsonObject k = keys.get(msg.body().getString("key_hash", ""));
          if (k != null) {
            msg.reply(k.copy());
          } else {
            msg.fail(ErrorCode.UNAUTHORIZED.code(), "unknown key");
          }
        });
    bus.<JsonObject>consumer(
        Addresses.REGISTRY_EXPOSURE_RESOLVE,
        msg -> {
          JsonObject q = msg.body();
          String k =
              q.getString("name") != null
                  ? q.getString("session_id") + "/" + q.getString("name")
                  : q.getString("session_id") + ":" + q.getInteger("port");
          JsonObject e = exposures.get(k);
          if (e != null) {
            msg.reply(e.copy());
          } else {
            msg.fail(ErrorCode.NOT_FOUND.code(), "no exposure for " + k);
          }
        });
  }

  /** The sandbox end: dials the tunnel server and serves streams to the registered origins. */
  private Future<Void> dialTunnel() {
    sandboxDialer =
        vertx.createWebSocketClient(
            WebSocketSettings.apply(
                new WebSocketClientOptions(), MuxOptions.DEFAULT_MAX_FRAME_PAYLOAD));
    carry =
        new CarryServer(
            vertx,
            (session, port) -> {
              SocketAddress a = origins.get(session + ":" + port);
              return a != null
                  ? Future.succeededFuture(a)
                  : Future.failedFuture(
                      new CarryException(
                          404, "not_found", "no session " + session + " port " + port));
            });
    WebSocketConnectOptions options =
        WebSocketSettings.offerBatching(new WebSocketConnectOptions())
            .setHost("127.0.0.1")
            .setPort(tunnelServer.actualPort())
            .setURI(TunnelServerConfig.PATH)
            .setHeaders(
                MultiMap.caseInsensitiveMultiMap()
                    .add(TunnelServerVerticle.HEADER_SANDBOX, SANDBOX)
                    .add(TunnelServerVerticle.HEADER_INSTANCE, "i1")
                    .add("Authorization", "Bearer " + SANDBOX_TOKEN));
    return sandboxDialer
        .connect(options)
        .map(
            ws -> {
              sandboxMux =
                  Multiplexer.create(FrameTransport.webSocket(ws), Role.ACCEPTOR, new MuxOptions());
              sandboxMux.streamHandler(carry::handle);
              return null;
            });
  }

  private Future<Void> attached(int tries) {
    return tunnels
        .snapshot()
        .compose(
            list -> {
              if (!list.isEmpty()) {
                return Future.succeededFuture();
              }
              if (tries <= 0) {
                return Future.failedFuture("the sandbox's tunnel never registered");
              }
              return vertx.timer(20).compose(t -> attached(tries - 1));
            });
  }

  // ---- a second node: it holds no tunnel and hands requests to this one over the internal hop

  private final ProxyFrontDoor entryDoor = new ProxyFrontDoor();
  private ProxyVerticle entryProxy;
  private HttpServer entryApi;

  /**
   * Starts an entry node next to this one (call after {@link #start}): its own proxy, front door
   * and API server, no tunnel; routes name this node's internal endpoint, so everything it proxies
   * crosses the hop. {@code overrides} are settings of its own (e.g. the hop's wait).
   */
  Future<Void> startEntryNode(JsonObject overrides) {
    JsonObject config =
        Settings.defaults()
            .put(Settings.NODE_ID.name(), "node-entry")
            .put(Settings.HTTP_HOST.name(), "127.0.0.1")
            .put(Settings.HTTP_PORT.name(), 0)
            .put(Settings.PROXY_INTERNAL_PORT.name(), 0)
            .put(Settings.DEV_SUBDOMAIN.name(), DOMAIN)
            .put(Settings.CLUSTER_HOST.name(), "127.0.0.1")
            .mergeIn(overrides);
    entryProxy = new ProxyVerticle(new Tunnels(), entryDoor);
    entryApi =
        vertx
            .createHttpServer(
                new HttpServerOptions().setTcpNoDelay(true).setMaxHeaderSize(16 * 1024))
            .invalidRequestHandler(Errors::invalidRequest)
            .requestHandler(
                req -> {
                  if (entryDoor.claims(req)) {
                    entryDoor.handle(req);
                  } else {
                    req.response().setStatusCode(404).end(NOT_CLAIMED);
                  }
                });
    return vertx
        .deployVerticle(entryProxy, new DeploymentOptions().setConfig(config))
        .compose(id -> entryApi.listen(0, "127.0.0.1"))
        .mapEmpty();
  }

  int entryPort() {
    return entryApi.actualPort();
  }

  /** WebSockets and TCP streams the entry node carries to this one now. */
  int entryHopStreams() {
    return entryProxy.hopStreams();
  }

  Future<Void> stop() {
    return (sandboxMux == null
            ? Future.<Void>succeededFuture()
            : sandboxMux.close("test over").recover(e -> Future.succeededFuture()))
        .compose(v -> carry == null ? Future.succeededFuture() : carry.close())
        .compose(
            v ->
                Future.join(
                    client.close(),
                    webSockets.close(),
                    net.close(),
                    sandboxDialer == null ? Future.succeededFuture() : sandboxDialer.close()))
        .recover(e -> Future.succeededFuture())
        .mapEmpty();
  }

  // ---- origins and exposures

  /** Starts an origin on loopback; its address goes to {@link #expose}. */
  Future<SocketAddress> origin(Handler<HttpServerRequest> handler) {
    return origin(vertx.createHttpServer().requestHandler(handler));
  }

  Future<SocketAddress> origin(HttpServer server) {
    originServers.add(server);
    return server
        .listen(0, "127.0.0.1")
        .map(s -> SocketAddress.inetSocketAddress(s.actualPort(), "127.0.0.1"));
  }

  /** A loopback address where nothing listens. */
  Future<SocketAddress> deadPort() {
    return vertx
        .createNetServer()
        .connectHandler(sock -> sock.close())
        .listen(0, "127.0.0.1")
        .compose(
            s -> s.close().map(v -> SocketAddress.inetSocketAddress(s.actualPort(), "127.0.0.1")));
  }

  /**
   * Registers an exposure as the registry returns it (visibility public, authenticated or private,
   * on the held sandbox, owner alice unless changed). Returns the JSON, which tests may modify.
   */
  JsonObject expose(String session, int port, String name, String visibility, SocketAddress at) {
    JsonObject e =
        new JsonObject()
            .put("session_id", session)
            .put("port", port)
            .put("protocol", "http")
            .put("name", name)
            .put("visibility", visibility)
            .put(
                "policy",
                new JsonObject()
                    .put(
                        "cors",
                        new JsonObject()
                            .put("mode", "passthrough")
                            .put("allowed_origins", new JsonArray()))
                    .put("host_header", "preserve")
                    .put("max_body_bytes", 0)
                    .put("idle_timeout_ms", 0)
                    .put("response_header_timeout_ms", 0))
            .put("status", "active")
            .put("owner", "alice")
            .put("session_status", "running")
            .put("sandbox_id", SANDBOX)
            .put("container_ip", "172.17.0.2");
    exposures.put(session + ":" + port, e);
    if (name != null) {
      exposures.put(session + "/" + name, e);
    }
    if (at != null) {
      origins.put(session + ":" + port, at);
    }
    return e;
  }

  // ---- clients

  int apiPort() {
    return api.actualPort();
  }

  HttpClient client() {
    return client;
  }

  WebSocketClient webSockets() {
    return webSockets;
  }

  static String path(String session, int port, String rest) {
    return "/api/v1/sessions/" + session + "/proxy/" + port + rest;
  }

  /** A request to the stand-in API server (path form unless a Host is set). */
  RequestOptions request(HttpMethod method, String uri) {
    return new RequestOptions()
        .setServer(SocketAddress.inetSocketAddress(apiPort(), "127.0.0.1"))
        .setHost("127.0.0.1")
        .setPort(apiPort())
        .setMethod(method)
        .setURI(uri);
  }

  RequestOptions get(String uri) {
    return request(HttpMethod.GET, uri);
  }

  /** Sends a request (with an optional body) and reads the whole reply. */
  Future<Reply> send(RequestOptions options, Buffer body) {
    return client
        .request(options)
        .compose(r -> body == null ? r.send() : r.send(body))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.headers(), b)));
  }

  Future<Reply> send(RequestOptions options) {
    return send(options, null);
  }

  /** A raw TCP connection to the stand-in API server. */
  Future<NetSocket> raw() {
    return net.connect(apiPort(), "127.0.0.1");
  }

  /** Polls a condition every 20 ms, at most {@code tries} times. */
  Future<Void> until(BooleanSupplier cond, int tries) {
    if (cond.getAsBoolean()) {
      return Future.succeededFuture();
    }
    if (tries <= 0) {
      return Future.failedFuture("condition not met in time");
    }
    return vertx.timer(20).compose(t -> until(cond, tries - 1));
  }
}
