package io.porthole.api;

import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.function.Function;

/**
 * Declares the REST routes: each one reads a bounded body (POST), authenticates, then runs its
 * handler; any failure along the way is the JSON error body.
 */
final class Routes {

  private final Router router;
  private final Auth auth;
  private final BodyHandler body;
  private final int maxBodyBytes;

  Routes(Router router, Auth auth, int maxBodyBytes) {
    this.router = router;
    this.auth = auth;
    this.maxBodyBytes = maxBodyBytes;
    this.body = BodyHandler.create(false).setBodyLimit(maxBodyBytes);
  }

  Route on(HttpMethod method, String path, Function<RoutingContext, Future<Http.Reply>> fn) {
    Route route = router.route(method, path);
    if (method == HttpMethod.POST) {
      route.handler(body);
    }
    return route.handler(auth).handler(Http.handle(fn)).failureHandler(this::failure);
  }

  private void failure(RoutingContext ctx) {
    if (ctx.failure() != null) {
      Http.error(ctx, ctx.failure());
    } else if (ctx.statusCode() == 413) {
      HealthRoutes.fail(
          ctx,
          ErrorCode.PAYLOAD_TOO_LARGE,
          "the body is larger than " + maxBodyBytes + " bytes (api.max_body_bytes)");
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      HealthRoutes.fail(ctx, ErrorCode.INVALID, "the request could not be read");
    } else {
      HealthRoutes.fail(ctx, ErrorCode.INTERNAL, "internal error");
    }
  }

  /** A path parameter that must be a session id; anything else is an unknown session. */
  static String sessionId(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (id == null || !id.matches("^ses_[0-9a-hjkmnp-tv-z]{26}$")) {
      throw Http.notFound("no session " + id);
    }
    return id;
  }

  /** A path parameter that must be a port, 1-65535. */
  static int port(RoutingContext ctx) {
    String p = ctx.pathParam("port");
    if (p == null || !p.matches("^[0-9]{1,5}$")) {
      throw Http.invalid(
          "the port in the path must be an integer between 1 and 65535, got \"" + p + "\"");
    }
    int port = Integer.parseInt(p);
    if (port < 1 || port > 65535) {
      throw Http.invalid("the port in the path must be between 1 and 65535, got " + port);
    }
    return port;
  }
}
