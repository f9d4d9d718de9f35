package io.porthole.proxy;

import io.porthole.common.ErrorCode;
import io.porthole.tunnel.carry.TcpOverTunnel;
import io.porthole.tunnel.server.TunnelRouter;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.MediaType;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyOptions;
import io.vertx.httpproxy.ProxyResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-to-node hop: a request that landed on this node for a sandbox whose tunnel another node
 * holds is proxied there with vertx-http-proxy (plain HTTP, over a pool of {@value #POOL_SIZE}
 * connections per node, streamed), with the resolved target in internal headers that the other node
 * believes only with the cluster's internal secret. WebSocket upgrades, and raw TCP with an HTTP
 * CONNECT, cross over connections of their own ({@link HopStreams}), outside the pool. Waiting for
 * a connection is bounded; a request whose client left while it waited never reaches the other
 * node.
 */
final class InternalHop {

  private static final Logger log = LoggerFactory.getLogger(InternalHop.class);
  static final String SECRET = "x-porthole-internal";
  static final String VIA = "x-porthole-via";
  static final String SANDBOX = "x-porthole-route-sandbox";
  static final String REQUEST_ID = "x-porthole-request-id";

  /** Pooled connections to each other node, shared by ordinary requests. */
  static final int POOL_SIZE = 64;

  private final Vertx vertx;
  private final String secret;
  private final long waitMs;
  private final Consumer<String> unreachable;
  private final HttpClientAgent client;
  private final HopStreams streams;
  private final HttpProxy proxy;

  /**
   * {@code unreachable} learns the sandbox whose route pointed at a node that could not be reached
   * (it died, or is leaving), so the route is looked up afresh for the next request. {@code waitMs}
   * bounds how long a request waits for a connection to the other node.
   */
  InternalHop(Vertx vertx, String secret, long waitMs, Consumer<String> unreachable) {
    this.vertx = vertx;
    this.secret = secret;
    this.waitMs = waitMs;
    this.unreachable = unreachable;
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setTcpNoDelay(true)
                .setKeepAlive(true)
                .setConnectTimeout(5_000)
                .setMaxInitialLineLength(16 * 1024)
                .setMaxHeaderSize(32 * 1024),
            new PoolOptions().setHttp1MaxSize(POOL_SIZE));
    this.streams = new HopStreams(vertx, client, waitMs);
    // WebSocket upgrades never reach the proxy: they go over connections of their own (streams)
    this.proxy =
        HttpProxy.reverseProxy(new ProxyOptions().setSupportWebSocket(false), client)
            .addInterceptor(
                new ProxyInterceptor() {
                  @Override
                  public Future<ProxyResponse> handleProxyRequest(ProxyContext ctx) {
                    String via = ctx.request().headers().get(VIA);
                    String sandbox = ctx.request().headers().get(SANDBOX);
                    String rid = ctx.request().headers().get(REQUEST_ID);
                    ctx.request().headers().remove(SANDBOX);
                    return ctx.sendRequest()
                        .recover(
                            err -> {
                              ProxyResponse resp = ctx.request().response();
                              if (err instanceof HopStreams.ClientGone) {
                                log.debug("request {} to node {}: the client left", rid, via);
                                return Future.succeededFuture(resp.setStatusCode(502));
                              }
                              // the node holding the tunnel failed before answering (or no
                              // connection to it came in time): a JSON error like every other,
                              // and a fresh route for the next request
                              log.warn("hop {} to node {} failed: {}", rid, via, err.toString());
                              if (sandbox != null) {
                                unreachable.accept(sandbox);
                              }
                              Failure f = failure(via, err);
                              resp.setStatusCode(f.code().httpStatus())
                                  .putHeader("content-type", "application/json")
                                  .putHeader("cache-control", "no-store")
                                  .setBody(
                                      Body.body(
                                          f.body(rid).toBuffer(), MediaType.APPLICATION_JSON));
                              if (rid != null) {
                                resp.putHeader("x-request-id", rid);
                              }
                              if (f.code() == ErrorCode.UNAVAILABLE) {
                                resp.putHeader("retry-after", "1");
                              }
                              return Future.succeededFuture(resp);
                            });
                  }
                })
            .origin(this::originRequest);
  }

  /**
   * The request to the node the route names, on a pooled connection obtained within {@code waitMs};
   * when the client left while it waited, the connection goes back unused and nothing reaches the
   * other node.
   */
  private Future<HttpClientRequest> originRequest(ProxyContext ctx) {
    String via = ctx.request().headers().get(VIA);
    ctx.request().headers().remove(VIA);
    SocketAddress node = address(via);
    if (node == null) {
      return Future.failedFuture("no route");
    }
    HttpServerResponse front = ctx.request().proxiedRequest().response();
    return ctx.client()
        .request(new RequestOptions().setServer(node).setConnectTimeout(waitMs))
        .recover(
            err ->
                Future.failedFuture(
                    err instanceof TimeoutException
                        ? new HopStreams.HopTimeout(
                            "no connection to node "
                                + via
                                + " became free within "
                                + waitMs
                                + " ms ("
                                + POOL_SIZE
                                + " busy, or it is slow to accept)")
                        : err))
        .compose(
            request -> {
              if (front.closed()) {
                // never sent: the connection goes back to the pool
                request.exceptionHandler(err -> {});
                request.reset();
                return Future.failedFuture(new HopStreams.ClientGone());
              }
              return Future.succeededFuture(request);
            });
  }

  private static SocketAddress address(String via) {
    int colon = via == null ? -1 : via.lastIndexOf(':');
    if (colon < 0) {
      return null;
    }
    return SocketAddress.inetSocketAddress(
        Integer.parseInt(via.substring(colon + 1)), via.substring(0, colon));
  }

  /** An error for the client: its code, and the body naming the node and what went wrong. */
  private record Failure(ErrorCode code, String message) {
    JsonObject body(String rid) {
      JsonObject b = code.body(message);
      if (rid != null) {
        b.getJsonObject("error").put("request_id", rid);
      }
      return b;
    }
  }

  private static Failure failure(String via, Throwable err) {
    if (err instanceof HopStreams.HopTimeout) {
      return new Failure(ErrorCode.UNAVAILABLE, err.getMessage() + "; retry");
    }
    return new Failure(
        ErrorCode.BAD_GATEWAY,
        "the node holding the sandbox's tunnel ("
            + via
            + ") failed: "
            + err.getMessage()
            + "; retry");
  }

  /** The internal headers naming a resolved target and who asked. */
  private void mark(MultiMap h, Target t, HeaderRules.Client c, String rid) {
    h.set(SECRET, secret)
        .set("x-porthole-session", t.sessionId())
        .set("x-porthole-port", Integer.toString(t.port()))
        .set("x-porthole-door", t.door().name())
        .set("x-porthole-prefix", t.prefix())
        .set("x-porthole-uri", t.uri())
        .set("x-porthole-client-ip", c.ip())
        .set("x-porthole-proto", c.proto())
        .set("x-porthole-host", c.host())
        .set("x-porthole-xff", c.forwardedFor())
        .set(REQUEST_ID, rid);
  }

  void forward(
      HttpServerRequest req,
      JsonObject route,
      Target target,
      HeaderRules.Client client,
      String rid) {
    mark(req.headers(), target, client, rid);
    String via = route.getString("host") + ":" + route.getInteger("port");
    String sandbox = route.getString("sandbox_id");
    log.debug(
        "request {} for session {} goes to node {}",
        rid,
        target.sessionId(),
        route.getString("node_id"));
    if (req.headers().contains("upgrade", "websocket", true)) {
      // browsers send "Connection: keep-alive, Upgrade"; Vert.x's client switches to raw bytes
      // after the 101 only when the request's Connection is exactly "Upgrade"
      MultiMap headers = HttpHeaders.headers().addAll(req.headers()).set("connection", "Upgrade");
      streams.upgrade(
          req,
          address(via),
          headers,
          (r, err) -> {
            log.warn("WebSocket {} to node {} failed: {}", rid, via, err.toString());
            if (sandbox != null) {
              unreachable.accept(sandbox);
            }
            Failure f = failure(via, err);
            Errors.respond(
                r,
                f.code().httpStatus(),
                f.code().wireName(),
                f.message(),
                rid,
                f.code() == ErrorCode.UNAVAILABLE ? 1 : 0);
          });
      return;
    }
    req.headers().set(VIA, via);
    if (sandbox != null) {
      req.headers().set(SANDBOX, sandbox);
    }
    proxy.handle(req);
  }

  /**
   * Raw TCP (port mode) to the node holding the tunnel, over a connection of its own: CONNECT, then
   * bytes both ways until either end closes.
   */
  Future<Void> bridgeTcp(
      NetSocket sock, JsonObject route, Target target, HeaderRules.Client who, String rid) {
    MultiMap headers = HttpHeaders.headers();
    mark(headers, target, who, rid);
    return streams
        .tcp(
            sock,
            SocketAddress.inetSocketAddress(route.getInteger("port"), route.getString("host")),
            headers)
        .recover(
            err ->
                Future.failedFuture(
                    "node " + route.getString("node_id") + ": " + err.getMessage()));
  }

  /** WebSockets and TCP streams this node carries to other nodes now, a connection each. */
  int openStreams() {
    return streams.openConnections();
  }

  /** Whether an internal request carries the cluster's secret (constant-time comparison). */
  boolean trusted(HttpServerRequest req) {
    String given = req.headers().get(SECRET);
    return given != null
        && MessageDigest.isEqual(
            given.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads the target an internal request names. */
  static Target targetOf(HttpServerRequest req) {
    MultiMap h = req.headers();
    return new Target(
        Target.Door.valueOf(h.get("x-porthole-door")),
        h.get("x-porthole-session"),
        Integer.parseInt(h.get("x-porthole-port")),
        null,
        0,
        h.get("x-porthole-prefix") == null ? "" : h.get("x-porthole-prefix"),
        h.get("x-porthole-uri"));
  }

  static HeaderRules.Client clientOf(HttpServerRequest req) {
    MultiMap h = req.headers();
    return new HeaderRules.Client(
        h.get("x-porthole-client-ip"),
        h.get("x-porthole-proto"),
        h.get("x-porthole-host"),
        h.get("x-porthole-xff"));
  }

  /** Serves a CONNECT from another node: a raw TCP stream to a local tunnel. */
  static void serveTcp(
      HttpServerRequest req, TunnelRouter tunnels, String sandboxId, Target target) {
    tunnels
        .open(
            sandboxId,
            io.porthole.tunnel.carry.StreamTarget.tcp(target.sessionId(), target.port()).encode())
        .onSuccess(
            stream ->
                req.toNetSocket()
                    .onSuccess(sock -> TcpOverTunnel.bridge(sock, stream))
                    .onFailure(err -> stream.reset()))
        .onFailure(err -> req.response().setStatusCode(503).end());
  }

  Future<Void> close() {
    return client.close();
  }

  Vertx vertx() {
    return vertx;
  }
}
