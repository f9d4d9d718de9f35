package io.porthole.api;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * {@code Authorization: Bearer <api key>}. The key is hashed here (SHA-256) and only the hash
 * travels to the registry; a missing, unknown or revoked key is a 401 with a JSON body.
 */
final class Auth implements Handler<RoutingContext> {

  private static final int MAX_KEY_LENGTH = 512;

  private final Registry registry;

  Auth(Registry registry) {
    this.registry = registry;
  }

  static String hash(String key) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      unauthorized(ctx, "missing API key: send Authorization: Bearer <key>");
      return;
    }
    String key = header.substring(7).trim();
    if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      unauthorized(ctx, "invalid API key");
      return;
    }
    registry
        .request(Addresses.REGISTRY_KEY_AUTHENTICATE, new JsonObject().put("key_hash", hash(key)))
        .onSuccess(
            who -> {
              ctx.put(
                  Caller.KEY,
                  new Caller(
                      who.getString("key_id"),
                      who.getString("owner"),
                      who.getBoolean("admin", false)));
              ctx.next();
            })
        .onFailure(
            err -> {
              if (ErrorCode.of(err) == ErrorCode.UNAUTHORIZED) {
                unauthorized(ctx, "invalid or revoked API key");
              } else {
                Http.error(ctx, err);
              }
            });
  }

  private static void unauthorized(RoutingContext ctx, String message) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    HealthRoutes.fail(ctx, ErrorCode.UNAUTHORIZED, message);
  }
}
