package io.porthole.proxy;

import io.micrometer.core.instrument.Gauge;
import io.porthole.common.Addresses;
import io.porthole.common.Meters;
import io.porthole.tunnel.server.Tunnels;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy: binds the path and subdomain front doors (on the API's server, through {@link
 * ProxyFrontDoor}), listens on every allocated port, and serves the internal endpoint other nodes
 * hand requests to when this node holds the sandbox's tunnel.
 */
public class ProxyVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ProxyVerticle.class);

  private final Tunnels tunnels;
  private final ProxyFrontDoor door;
  private InternalHop hop;
  private HttpServer internal;
  private PortListeners ports;

  public ProxyVerticle(Tunnels tunnels, ProxyFrontDoor door) {
    this.tunnels = tunnels;
    this.door = door;
  }

  @Override
  public Future<?> start() {
    ProxyConfig cfg = ProxyConfig.from(config());
    Lookups lookups = new Lookups(vertx, 2_000);
    return internalSecret()
        .compose(
            secret -> {
              hop = new InternalHop(vertx, secret, cfg.hopWaitTimeoutMs(), lookups::forgetRoute);
              Gauge.builder("porthole.proxy.hop.streams", hop, InternalHop::openStreams)
                  .description(
                      "WebSockets and TCP streams carried to other nodes, a connection each")
                  .register(Meters.of(cfg.nodeId()));
              BrowserTokens tokens = new BrowserTokens(secret, Clock.systemUTC());
              vertx
                  .eventBus()
                  .<JsonObject>localConsumer(
                      Addresses.PROXY_BROWSER_LINK,
                      m ->
                          m.reply(
                              new JsonObject()
                                  .put(
                                      "token",
                                      tokens.sign(
                                          "link",
                                          new JsonObject()
                                              .put("session_id", m.body().getString("session_id"))
                                              .put("port", m.body().getInteger("port"))
                                              .put("owner", m.body().getString("owner")),
                                          BrowserTokens.LINK_TTL))
                                  .put("expires_in_s", BrowserTokens.LINK_TTL.toSeconds())));
              Forwarder forwarder = new Forwarder(vertx, cfg, tunnels, lookups, hop, tokens);
              internal =
                  vertx.createHttpServer(
                      new HttpServerOptions().setTcpNoDelay(true).setMaxHeaderSize(32 * 1024));
              internal.requestHandler(req -> internalRequest(req, forwarder, lookups));
              ports = new PortListeners(vertx, cfg, forwarder, lookups, tunnels, hop);
              door.bind(new FrontDoors(cfg.devSubdomain()), forwarder);
              return internal.listen(cfg.internalPort(), cfg.internalHost());
            })
        .compose(
            server -> {
              tunnels.advertiseDataPlane(cfg.internalHost(), server.actualPort());
              log.info(
                  "proxy ready: internal hop on {}:{}, subdomains under {}",
                  cfg.internalHost(),
                  server.actualPort(),
                  cfg.devSubdomain().isEmpty() ? "(off)" : cfg.devSubdomain());
              return ports.start();
            });
  }

  /** One secret per cluster (in its shared map), so only nodes can use the internal endpoint. */
  private Future<String> internalSecret() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    String mine = HexFormat.of().formatHex(b);
    return vertx
        .sharedData()
        .<String, String>getAsyncMap("porthole.internal")
        .compose(m -> m.putIfAbsent("secret", mine).map(prev -> prev != null ? prev : mine));
  }

  private void internalRequest(HttpServerRequest req, Forwarder forwarder, Lookups lookups) {
    String rid = req.getHeader("x-porthole-request-id");
    if (!hop.trusted(req)) {
      Errors.respond(req, 403, "forbidden", "internal endpoint", rid == null ? "-" : rid);
      return;
    }
    Target target;
    try {
      target = InternalHop.targetOf(req);
    } catch (RuntimeException e) {
      Errors.respond(req, 400, "invalid_request", "bad internal target", String.valueOf(rid));
      return;
    }
    if (req.method() == HttpMethod.CONNECT) {
      req.pause();
      lookups
          .exposure(target)
          .onSuccess(e -> InternalHop.serveTcp(req, tunnels, e.getString("sandbox_id"), target))
          .onFailure(err -> req.response().setStatusCode(404).end());
      return;
    }
    forwarder.handleInternal(req, target, InternalHop.clientOf(req), rid);
  }

  @Override
  public Future<?> stop() {
    return Future.join(
        ports == null ? Future.succeededFuture() : ports.close(),
        internal == null ? Future.succeededFuture() : internal.close(),
        hop == null ? Future.succeededFuture() : hop.close());
  }

  /** For tests: the internal endpoint's port. */
  public int internalPort() {
    return internal.actualPort();
  }

  /** For tests: WebSockets and TCP streams this node carries to other nodes now. */
  int hopStreams() {
    return hop.openStreams();
  }
}
