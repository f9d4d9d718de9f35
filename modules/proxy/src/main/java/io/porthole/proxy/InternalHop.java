package io.porthole.proxy;

import io.porthole.common.ErrorCode;
import io.porthole.tunnel.carry.TcpOverTunnel;
import io.porthole.tunnel.server.TunnelRouter;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.OriginRequestProvider;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyOptions;
import io.vertx.httpproxy.ProxyResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-to-node hop: a request that landed on this node for a sandbox whose tunnel another node
 * holds is proxied there with vertx-http-proxy (plain HTTP, pooled, streamed, WebSockets too), with
 * the resolved target in internal headers that the other node believes only with the cluster's
 * internal secret. Raw TCP crosses with an HTTP CONNECT.
 */
final class InternalHop {

  private static final Logger log = LoggerFactory.getLogger(InternalHop.class);
  static final String SECRET = "x-porthole-internal";
  static final String VIA = "x-porthole-via";
  static final String SANDBOX = "x-porthole-route-sandbox";

  private final Vertx vertx;
  private final String secret;
  private final HttpClient client;
  private final HttpProxy proxy;

  InternalHop(Vertx vertx, String secret) {
    this(vertx, secret, sandbox -> {});
  }

  /**
   * {@code unreachable} learns the sandbox whose route pointed at a node that could not be reached
   * (it died, or is leaving), so the route is looked up afresh for the next request.
   */
  InternalHop(Vertx vertx, String secret, Consumer<String> unreachable) {
    this.vertx = vertx;
    this.secret = secret;
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setTcpNoDelay(true)
                .setKeepAlive(true)
                .setConnectTimeout(5_000)
                .setMaxInitialLineLength(16 * 1024)
                .setMaxHeaderSize(32 * 1024),
            new PoolOptions().setHttp1MaxSize(64));
    this.proxy =
        HttpProxy.reverseProxy(new ProxyOptions().setSupportWebSocket(true), client)
            .addInterceptor(
                new ProxyInterceptor() {
                  @Override
                  public Future<ProxyResponse> handleProxyRequest(ProxyContext ctx) {
                    String via = ctx.request().headers().get(VIA);
                    String sandbox = ctx.request().headers().get(SANDBOX);
                    ctx.request().headers().remove(SANDBOX);
                    return ctx.sendRequest()
                        .recover(
                            err -> {
                              // the node holding the tunnel failed before answering: a JSON 502
                              // like every other error, and a fresh route for the next request
                              log.warn("hop to node {} failed: {}", via, err.toString());
                              if (sandbox != null) {
                                unreachable.accept(sandbox);
                              }
                              return Future.succeededFuture(
                                  ctx.request()
                                      .response()
                                      .setStatusCode(502)
                                      .putHeader("content-type", "application/json")
                                      .setBody(
                                          Body.body(
                                              ErrorCode.BAD_GATEWAY
                                                  .body(
                                                      "the node holding the sandbox's tunnel ("
                                                          + via
                                                          + ") failed: "
                                                          + err.getMessage()
                                                          + "; retry")
                                                  .toBuffer())));
                            });
                  }
                })
            .origin(
                OriginRequestProvider.selector(
                    ctx -> {
                      String via = ctx.request().headers().get(VIA);
                      ctx.request().headers().remove(VIA);
                      int colon = via == null ? -1 : via.lastIndexOf(':');
                      if (colon < 0) {
                        return Future.failedFuture("no route");
                      }
                      return Future.succeededFuture(
                          SocketAddress.inetSocketAddress(
                              Integer.parseInt(via.substring(colon + 1)), via.substring(0, colon)));
                    }));
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
        .set("x-porthole-request-id", rid);
  }

  void forward(
      HttpServerRequest req,
      JsonObject route,
      Target target,
      HeaderRules.Client client,
      String rid) {
    mark(req.headers(), target, client, rid);
    req.headers().set(VIA, route.getString("host") + ":" + route.getInteger("port"));
    if (route.getString("sandbox_id") != null) {
      req.headers().set(SANDBOX, route.getString("sandbox_id"));
    }
    log.debug(
        "request {} for session {} goes to node {}",
        rid,
        target.sessionId(),
        route.getString("node_id"));
    proxy.handle(req);
  }

  /** Raw TCP (port mode) to the node holding the tunnel: CONNECT, then bytes. */
  Future<NetSocket> connectTcp(
      JsonObject route, Target target, HeaderRules.Client who, String rid) {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.CONNECT)
            .setHost(route.getString("host"))
            .setPort(route.getInteger("port"))
            .setURI("/tcp");
    return this.client
        .request(options)
        .compose(
            r -> {
              mark(r.headers(), target, who, rid);
              return r.connect();
            })
        .compose(
            resp ->
                resp.statusCode() == 200
                    ? Future.succeededFuture(resp.netSocket())
                    : Future.failedFuture(
                        "node " + route.getString("node_id") + " answered " + resp.statusCode()));
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
