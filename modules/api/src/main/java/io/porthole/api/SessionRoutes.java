package io.porthole.api;

import io.porthole.common.Addresses;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code /api/v1/sessions}: create, list, get and end sessions of the caller's owner. */
final class SessionRoutes {

  private final Registry registry;
  private final ApiConfig cfg;

  private SessionRoutes(Registry registry, ApiConfig cfg) {
    this.registry = registry;
    this.cfg = cfg;
  }

  static void mount(Routes routes, Registry registry, ApiConfig cfg) {
    SessionRoutes s = new SessionRoutes(registry, cfg);
    routes.on(HttpMethod.POST, "/api/v1/sessions", s::create);
    routes.on(HttpMethod.GET, "/api/v1/sessions", s::list);
    routes.on(HttpMethod.GET, "/api/v1/sessions/:id", s::get);
    routes.on(HttpMethod.DELETE, "/api/v1/sessions/:id", s::end);
  }

  private Future<Http.Reply> create(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    JsonObject req =
        Requests.session(Body.object(ctx.body().buffer(), true))
            .put("owner", caller.owner())
            .put("key_id", caller.keyId())
            .put("api_url", Urls.of(cfg, ctx).base());
    return registry
        .request(Addresses.REGISTRY_SESSION_CREATE, req, cfg.createTimeoutMs() + 15_000)
        .map(
            s -> {
              ctx.response().putHeader("Location", "/api/v1/sessions/" + s.getString("id"));
              return Http.Reply.created(s);
            });
  }

  private Future<Http.Reply> list(RoutingContext ctx) {
    String ended = ctx.queryParams().get("include_ended");
    if (ended != null && !ended.equals("true") && !ended.equals("false")) {
      throw Http.invalid("'include_ended' must be true or false, got \"" + ended + "\"");
    }
    return registry
        .request(
            Addresses.REGISTRY_SESSION_LIST,
            new JsonObject()
                .put("owner", Caller.of(ctx).owner())
                .put("include_ended", "true".equals(ended)))
        .map(Http.Reply::ok);
  }

  private Future<Http.Reply> get(RoutingContext ctx) {
    return registry.request(Addresses.REGISTRY_SESSION_GET, ids(ctx)).map(Http.Reply::ok);
  }

  private Future<Http.Reply> end(RoutingContext ctx) {
    return registry.request(Addresses.REGISTRY_SESSION_END, ids(ctx), 90_000).map(Http.Reply::ok);
  }

  private static JsonObject ids(RoutingContext ctx) {
    return new JsonObject()
        .put("owner", Caller.of(ctx).owner())
        .put("session_id", Routes.sessionId(ctx));
  }
}
