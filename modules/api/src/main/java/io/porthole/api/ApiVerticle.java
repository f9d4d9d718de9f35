package io.porthole.api;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public HTTP server: health, and (as later parts land) the REST API. On undeploy it stops
 * accepting, reports not-ready, and gives in-flight requests {@code shutdown.timeout_ms} to finish.
 */
public class ApiVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(ApiVerticle.class);

  private final HealthChecks health;
  private HttpServer server;
  private volatile boolean stopping;

  public ApiVerticle(HealthChecks health) {
    this.health = health;
  }

  @Override
  public Future<?> start() {
    ApiConfig cfg = ApiConfig.from(config());
    Router router = Router.router(vertx);
    health.register("http", p -> p.complete(stopping ? Status.KO() : Status.OK()));
    HealthRoutes.mount(router, cfg.nodeId(), health);
    HealthRoutes.mountErrors(router);
    server =
        vertx.createHttpServer(
            new HttpServerOptions().setTcpNoDelay(true).setMaxHeaderSize(16 * 1024));
    return server
        .requestHandler(router)
        .listen(cfg.port(), cfg.host())
        .onSuccess(s -> log.info("API listening on {}:{}", cfg.host(), s.actualPort()));
  }

  /** The bound port (useful when {@code http.port} is 0). */
  public int actualPort() {
    return server.actualPort();
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
