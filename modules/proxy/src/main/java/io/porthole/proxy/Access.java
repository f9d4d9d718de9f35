package io.porthole.proxy;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * An exposure's visibility, checked on every request: {@code public} lets anyone in, {@code
 * authenticated} any valid API key, {@code private} (the default) only its owner's keys (and admin
 * keys). Someone else's private exposure is a 404, so ids do not leak.
 */
final class Access {

  private final Lookups lookups;
  private final BrowserTokens tokens;

  Access(Lookups lookups, BrowserTokens tokens) {
    this.lookups = lookups;
    this.tokens = tokens;
  }

  Future<Void> check(HttpServerRequest req, JsonObject exposure) {
    String visibility = exposure.getString("visibility", "private");
    if ("public".equals(visibility)) {
      return Future.succeededFuture();
    }
    String bearer = bearer(req);
    if (bearer == null) {
      JsonObject cookie = tokens.verify("cookie", cookie(req, HeaderRules.AUTH_COOKIE));
      if (cookie != null
          && cookie.getString("session_id", "").equals(exposure.getString("session_id"))
          && cookie.getInteger("port", -1).equals(exposure.getInteger("port"))) {
        // signed for exactly this exposure by a key of its owner (or an admin acting as owner)
        if ("authenticated".equals(visibility)
            || cookie.getString("owner", "").equals(exposure.getString("owner"))) {
          return Future.succeededFuture();
        }
      }
      return Future.failedFuture(
          new PortholeException(
              ErrorCode.UNAUTHORIZED,
              "this exposure is " + visibility + ": send an API key (Authorization: Bearer …)"));
    }
    return lookups
        .key(bearer)
        .recover(
            err ->
                Future.failedFuture(
                    new PortholeException(ErrorCode.UNAUTHORIZED, "the API key is not valid")))
        .compose(
            key -> {
              if ("authenticated".equals(visibility)
                  || key.getBoolean("admin", false)
                  || key.getString("owner", "").equals(exposure.getString("owner"))) {
                return Future.succeededFuture();
              }
              return Future.failedFuture(
                  new PortholeException(
                      ErrorCode.NOT_FOUND,
                      "no exposure for port "
                          + exposure.getInteger("port")
                          + " of session "
                          + exposure.getString("session_id")));
            });
  }

  /** The value of one cookie of the request, or null. */
  static String cookie(HttpServerRequest req, String name) {
    for (String header : req.headers().getAll("cookie")) {
      for (String part : header.split(";")) {
        String p = part.trim();
        if (p.startsWith(name + "=")) {
          return p.substring(name.length() + 1);
        }
      }
    }
    return null;
  }

  static String bearer(HttpServerRequest req) {
    String auth = req.headers().get("authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String v = auth.substring(7).trim();
      return v.isEmpty() ? null : v;
    }
    return null;
  }
}
