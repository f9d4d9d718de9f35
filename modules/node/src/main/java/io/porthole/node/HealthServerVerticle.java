package io.porthole.node;

import io.porthole.api.HealthRoutes;
import io.porthole.common.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /healthz} and {@code /readyz} on {@code health.port}, for a node without the API. */
public class HealthServerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(HealthServerVerticle.class);

  private final HealthChecks health;
  private HttpServer server;

  public HealthServerVerticle(HealthChecks health) {
    this.health = health;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    HealthRoutes.mount(router, Settings.NODE_ID.stringIn(config()), health);
    HealthRoutes.mountErrors(router);
    String host = Settings.HTTP_HOST.stringIn(config());
    server = vertx.createHttpServer();
    return server
        .requestHandler(router)
        .listen(Settings.HEALTH_PORT.intIn(config()), host)
        .onSuccess(s -> log.info("health endpoints on {}:{}", host, s.actualPort()));
  }

  public int actualPort() {
    return server.actualPort();
  }
}
