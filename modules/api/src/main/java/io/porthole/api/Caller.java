package io.porthole.api;

import io.vertx.ext.web.RoutingContext;

/** Who is calling: the API key's id, its owner and whether it is an admin key. */
record Caller(String keyId, String owner, boolean admin) {

  static final String KEY = "porthole.caller";

  static Caller of(RoutingContext ctx) {
    return ctx.get(KEY);
  }
}
