package io.porthole.api;

import io.porthole.common.ErrorCode;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;

/**
 * {@code GET /healthz} (the process is alive) and {@code GET /readyz} (every registered check is
 * UP; 503 otherwise, with a JSON body naming each check), plus JSON 404 and error bodies.
 */
public final class HealthRoutes {

  private HealthRoutes() {}

  public static void mount(Router router, String nodeId, HealthChecks checks) {
    router
        .get("/healthz")
        .handler(ctx -> ctx.json(new JsonObject().put("status", "UP").put("node", nodeId)));
    router.get("/readyz").handler(HealthCheckHandler.createWithHealthChecks(checks));
  }

  /** Unknown routes and failures answer with the JSON error body. */
  public static void mountErrors(Router router) {
    router
        .route()
        .last()
        .handler(
            ctx ->
                fail(
                    ctx,
                    ErrorCode.NOT_FOUND,
                    "no route for " + ctx.request().method() + " " + ctx.request().path()));
    router.errorHandler(500, ctx -> fail(ctx, ErrorCode.INTERNAL, "internal error"));
    router.errorHandler(405, ctx -> fail(ctx, ErrorCode.INVALID, "method not allowed"));
  }

  public static void fail(RoutingContext ctx, ErrorCode code, String message) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response()
        .setStatusCode(code.httpStatus())
        .putHeader("content-type", "application/json")
        .end(code.body(message).encode());
  }
}
