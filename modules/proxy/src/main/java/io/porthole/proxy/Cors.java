package io.porthole.proxy;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;

/**
 * CORS preflights answered by the exposure's mode, without needing a cookie or key: {@code
 * passthrough} lets the app answer; {@code allowlist} answers from the exposure's allowed origins;
 * {@code same-owner} allows origins that are other exposures (subdomain URLs) of the same owner.
 */
final class Cors {

  private final FrontDoors doors;
  private final Lookups lookups;

  Cors(FrontDoors doors, Lookups lookups) {
    this.doors = doors;
    this.lookups = lookups;
  }

  static boolean isPreflight(HttpServerRequest req) {
    return req.method() == HttpMethod.OPTIONS
        && req.headers().contains("origin")
        && req.headers().contains("access-control-request-method");
  }

  static String mode(JsonObject policy) {
    Object cors = policy.getValue("cors");
    if (cors instanceof JsonObject o) {
      return o.getString("mode", "passthrough");
    }
    return cors instanceof String s ? s : "passthrough";
  }

  /** Whether this preflight is answered here (not by the app). */
  static boolean answersHere(HttpServerRequest req, JsonObject policy) {
    return isPreflight(req) && !"passthrough".equals(mode(policy));
  }

  /** Answers a preflight by the exposure's mode. */
  void answer(HttpServerRequest req, JsonObject exposure, String rid) {
    JsonObject policy = exposure.getJsonObject("policy", new JsonObject());
    String origin = req.headers().get("origin");
    req.resume();
    allowed(origin, policy, exposure)
        .onComplete(
            ar -> {
              if (ar.failed() || !ar.result()) {
                Errors.respond(
                    req,
                    403,
                    "cors_origin_not_allowed",
                    "origin " + origin + " is not allowed",
                    rid);
                return;
              }
              req.response()
                  .setStatusCode(204)
                  .putHeader("access-control-allow-origin", origin)
                  .putHeader("vary", "Origin")
                  .putHeader(
                      "access-control-allow-methods",
                      req.headers().get("access-control-request-method")
                          + ", GET, HEAD, POST, PUT, PATCH, DELETE")
                  .putHeader(
                      "access-control-allow-headers",
                      String.valueOf(req.headers().get("access-control-request-headers")))
                  .putHeader("access-control-allow-credentials", "true")
                  .putHeader("access-control-max-age", "600")
                  .putHeader("x-request-id", rid)
                  .end();
            });
  }

  private Future<Boolean> allowed(String origin, JsonObject policy, JsonObject exposure) {
    if ("allowlist".equals(mode(policy))) {
      Object cors = policy.getValue("cors");
      JsonArray list =
          cors instanceof JsonObject o
              ? o.getJsonArray("allowed_origins", new JsonArray())
              : policy.getJsonArray("cors_origins", new JsonArray());
      return Future.succeededFuture(list.contains(origin) || list.contains("*"));
    }
    String host;
    try {
      host = URI.create(origin).getHost();
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(false);
    }
    String label = doors.subdomainLabel(host);
    if (label == null) {
      return Future.succeededFuture(false);
    }
    try {
      Target other = doors.fromSubdomain(label, "/");
      return lookups
          .exposure(other)
          .map(e -> e.getString("owner", "").equals(exposure.getString("owner")));
    } catch (RuntimeException e) {
      return Future.succeededFuture(false);
    }
  }
}
