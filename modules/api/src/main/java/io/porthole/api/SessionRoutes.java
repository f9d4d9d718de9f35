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
    routes.on(HttpMethod.GET, "/api/v1/sessions/:id/ports", s::ports);
    routes.on(HttpMethod.GET, "/api/v1/sessions/:id/logs", s::logs);
    routes.on(HttpMethod.GET, "/api/v1/sessions/:id/container", s::container);
  }

  /** The dev container as its sandbox sees it: id, state, address. */
  private Future<Http.Reply> container(RoutingContext ctx) {
    return sandboxCommand(ctx, "container.status", new JsonObject()).map(Http.Reply::ok);
  }

  /** Ports listening inside the session's container: the ports one could expose. */
  private Future<Http.Reply> ports(RoutingContext ctx) {
    return sandboxCommand(ctx, "container.ports", new JsonObject()).map(Http.Reply::ok);
  }

  /**
   * The tail of the container's output, bounded in lines and bytes; with {@code follow=true}, that
   * tail and then the output as it comes, as streamed text, bounded in time and bytes.
   */
  private Future<Http.Reply> logs(RoutingContext ctx) {
    String follow = ctx.queryParams().get("follow");
    if (follow != null && !follow.equals("true") && !follow.equals("false")) {
      throw Http.invalid("'follow' must be true or false, got \"" + follow + "\"");
    }
    int tail = intParam(ctx, "tail", 200, 1, 10_000);
    if ("true".equals(follow)) {
      int maxBytes =
          intParam(ctx, "max_bytes", LogFollower.DEFAULT_BYTES, 1, LogFollower.MAX_BYTES);
      int maxSeconds =
          intParam(ctx, "max_seconds", LogFollower.DEFAULT_SECONDS, 1, LogFollower.MAX_SECONDS);
      return new LogFollower(ctx, (c, body) -> sandboxCommand(c, "container.logs", body))
          .run(tail, maxBytes, maxSeconds);
    }
    if (ctx.queryParams().contains("max_seconds")) {
      throw Http.invalid("'max_seconds' applies only with follow=true");
    }
    int maxBytes = intParam(ctx, "max_bytes", 64 * 1024, 1, 1024 * 1024);
    return sandboxCommand(
            ctx, "container.logs", new JsonObject().put("tail", tail).put("max_bytes", maxBytes))
        .map(Http.Reply::ok);
  }

  /** Asks the agent of the sandbox the caller's session runs on (404 for others' sessions). */
  private Future<JsonObject> sandboxCommand(RoutingContext ctx, String command, JsonObject body) {
    return registry
        .request(Addresses.REGISTRY_SESSION_GET, ids(ctx))
        .compose(
            session -> {
              if (!"running".equals(session.getString("status"))
                  || session.getString("sandbox_id") == null) {
                return Future.failedFuture(
                    Http.conflict(
                        "session "
                            + session.getString("id")
                            + " is "
                            + session.getString("status")
                            + ", not running"));
              }
              return registry.request(
                  Addresses.sandboxControl(session.getString("sandbox_id")),
                  new JsonObject()
                      .put("command", command)
                      .put("body", body.copy().put("session_id", session.getString("id"))));
            });
  }

  private static int intParam(RoutingContext ctx, String name, int dflt, int min, int max) {
    String v = ctx.queryParams().get(name);
    if (v == null) {
      return dflt;
    }
    if (!v.matches("\\d{1,9}") || Integer.parseInt(v) < min || Integer.parseInt(v) > max) {
      throw Http.invalid(
          "'"
              + name
              + "' must be a whole number from "
              + min
              + " to "
              + max
              + ", got \""
              + v
              + "\"");
    }
    return Integer.parseInt(v);
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
