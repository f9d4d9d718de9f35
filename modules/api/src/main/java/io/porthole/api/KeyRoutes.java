package io.porthole.api;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code /api/v1/keys}: admins create keys (shown once); keys are listed and revoked. */
final class KeyRoutes {

  private final Registry registry;

  private KeyRoutes(Registry registry) {
    this.registry = registry;
  }

  static void mount(Routes routes, Registry registry) {
    KeyRoutes k = new KeyRoutes(registry);
    routes.on(HttpMethod.POST, "/api/v1/keys", k::create);
    routes.on(HttpMethod.GET, "/api/v1/keys", k::list);
    routes.on(HttpMethod.DELETE, "/api/v1/keys/:key_id", k::revoke);
  }

  private static JsonObject actor(Caller c) {
    return new JsonObject()
        .put("actor", c.keyId())
        .put("actor_owner", c.owner())
        .put("actor_admin", c.admin());
  }

  private Future<Http.Reply> create(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    if (!caller.admin()) {
      throw new PortholeException(ErrorCode.FORBIDDEN, "only an admin key may create keys");
    }
    JsonObject req = Requests.key(Body.object(ctx.body().buffer(), false));
    return registry
        .request(Addresses.REGISTRY_KEY_CREATE, actor(caller).mergeIn(req))
        .map(Http.Reply::created);
  }

  private Future<Http.Reply> list(RoutingContext ctx) {
    return registry.request(Addresses.REGISTRY_KEY_LIST, actor(Caller.of(ctx))).map(Http.Reply::ok);
  }

  private Future<Http.Reply> revoke(RoutingContext ctx) {
    String id = ctx.pathParam("key_id");
    if (id == null || !id.matches("^key_[0-9a-f]{16}$")) {
      throw Http.notFound("no key " + id);
    }
    return registry
        .request(Addresses.REGISTRY_KEY_REVOKE, actor(Caller.of(ctx)).put("key_id", id))
        .map(k -> Http.Reply.noContent());
  }
}
