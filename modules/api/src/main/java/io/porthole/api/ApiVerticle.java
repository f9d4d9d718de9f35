package io.porthole.api;

import io.porthole.common.BadRequests;
import io.porthole.common.FrontDoor;
import io.porthole.common.Meters;
import io.porthole.common.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public HTTP server: health, and the REST API (sessions, exposures, share links, keys; see
 * {@code docs/openapi.yaml}). Requests are authenticated with an API key and validated strictly
 * here; the registry does the work over the event bus. On undeploy it stops accepting, reports
 * not-ready, and gives in-flight requests {@code shutdown.timeout_ms} to finish.
 */
public class ApiVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ApiVerticle.class);

  private final HealthChecks health;
  private final FrontDoor frontDoor;
  private HttpServer server;
  private Router router;
  private volatile boolean stopping;

  public ApiVerticle(HealthChecks health) {
    this(health, FrontDoor.NONE);
  }

  /** With the proxy's front door, which claims path-form and subdomain requests first. */
  public ApiVerticle(HealthChecks health, FrontDoor frontDoor) {
    this.health = health;
    this.frontDoor = frontDoor;
  }

  @Override
  public Future<?> start() {
    ApiConfig cfg = ApiConfig.from(config());
    router = Router.router(vertx);
    health.register("http", p -> p.complete(stopping ? Status.KO() : Status.OK()));
    HealthRoutes.mount(router, cfg.nodeId(), health);
    Registry registry = new Registry(vertx, Meters.of(cfg.nodeId()));
    Routes routes = new Routes(router, new Auth(registry), cfg.maxBodyBytes());
    SessionRoutes.mount(routes, registry, cfg);
    ExposureRoutes.mount(routes, registry, cfg);
    KeyRoutes.mount(routes, registry);
    AdminRoutes.mount(routes, registry);
    HealthRoutes.mountErrors(router);
    HttpServerOptions options =
        new HttpServerOptions().setTcpNoDelay(true).setMaxHeaderSize(16 * 1024);
    String cert = Settings.HTTP_TLS_CERT.stringIn(config());
    if (!cert.isEmpty()) {
      // a wildcard certificate for *.<dev_subdomain> serves every subdomain URL; HTTP/2 via ALPN
      options
          .setSsl(true)
          .setUseAlpn(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(cert)
                  .setKeyPath(Settings.HTTP_TLS_KEY.stringIn(config())));
    }
    server = vertx.createHttpServer(options);
    return server
        .invalidRequestHandler(BadRequests::answer)
        .requestHandler(
            req -> {
              if (frontDoor.claims(req)) {
                frontDoor.handle(req);
              } else {
                router.handle(req);
              }
            })
        .listen(cfg.port(), cfg.host())
        .onSuccess(s -> log.info("API listening on {}:{}", cfg.host(), s.actualPort()));
  }

  /** The bound port (useful when {@code http.port} is 0). */
  public int actualPort() {
    return server.actualPort();
  }

  /** The router, for tests that compare its routes with {@code docs/openapi.yaml}. */
  public Router router() {
    return router;
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    ApiConfig cfg = ApiConfig.from(config());
    return server
        .shutdown(cfg.shutdownTimeoutMs(), TimeUnit.MILLISECONDS)
        .onComplete(
            ar -> {
              health.unregister("http");
              log.info("API server closed");
            });
  }
}
