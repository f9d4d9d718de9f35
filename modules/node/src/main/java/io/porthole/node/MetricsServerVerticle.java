package io.porthole.node;

import io.porthole.common.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code GET /metrics} in the Prometheus text format, on {@code metrics.port}. */
public class MetricsServerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MetricsServerVerticle.class);

  private HttpServer server;

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router
        .get("/metrics")
        .handler(PrometheusScrapingHandler.create(Settings.NODE_ID.stringIn(config())));
    String host = Settings.HTTP_HOST.stringIn(config());
    server = vertx.createHttpServer();
    return server
        .requestHandler(router)
        .listen(Settings.METRICS_PORT.intIn(config()), host)
        .onSuccess(
            s -> log.info("Prometheus metrics on http://{}:{}/metrics", host, s.actualPort()));
  }

  public int actualPort() {
    return server.actualPort();
  }
}
