package io.porthole.api;

import io.porthole.common.Addresses;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code /api/v1/sessions/{id}/expose}: expose, list and unexpose a session's ports, and the share
 * links of an exposure.
 */
final class ExposureRoutes {

  private static final String EXPOSE = "/api/v1/sessions/:id/expose";
  private static final String ONE = EXPOSE + "/:port";
  private static final String SHARES = ONE + "/shares";

  private final Registry registry;
  private final ApiConfig cfg;

  private ExposureRoutes(Registry registry, ApiConfig cfg) {
    this.registry = registry;
    this.cfg = cfg;
  }

  static void mount(Routes routes, Registry registry, ApiConfig cfg) {
    ExposureRoutes e = new ExposureRoutes(registry, cfg);
    routes.on(HttpMethod.POST, EXPOSE, e::expose);
    routes.on(HttpMethod.GET, EXPOSE, e::list);
    routes.on(HttpMethod.GET, ONE, e::get);
    routes.on(HttpMethod.DELETE, ONE, e::unexpose);
    routes.on(HttpMethod.POST, SHARES, e::share);
    routes.on(HttpMethod.GET, SHARES, e::shares);
    routes.on(HttpMethod.DELETE, SHARES, e::revokeAll);
    routes.on(HttpMethod.DELETE, SHARES + "/:share_id", e::revoke);
    routes.on(HttpMethod.POST, ONE + "/browser-link", e::browserLink);
  }

  /**
   * A one-minute sign-in link for a browser on the exposure's subdomain URL: following it sets a
   * cookie scoped to exactly that host (no Authorization header is needed there afterwards).
   */
  private Future<Http.Reply> browserLink(RoutingContext ctx) {
    String owner = Caller.of(ctx).owner();
    return get(ctx)
        .compose(
            reply -> {
              JsonObject e = reply.body();
              String host = null;
              for (Object u : e.getJsonArray("urls")) {
                String url = (String) u;
                if (!cfg.devSubdomain().isEmpty()
                    && java.net.URI.create(url).getHost() != null
                    && java.net.URI.create(url).getHost().endsWith("." + cfg.devSubdomain())) {
                  host = url;
                  break;
                }
              }
              if (host == null) {
                return Future.failedFuture(
                    Http.conflict(
                        "this exposure has no subdomain URL (proxy.dev_subdomain is off)"));
              }
              String base = host;
              return registry
                  .request(
                      Addresses.PROXY_BROWSER_LINK,
                      new JsonObject()
                          .put("session_id", e.getString("session_id"))
                          .put("port", e.getInteger("port"))
                          .put("owner", owner))
                  .map(
                      t ->
                          Http.Reply.created(
                              new JsonObject()
                                  .put(
                                      "url",
                                      (base.endsWith("/") ? base : base + "/")
                                          + "__porthole/auth?token="
                                          + t.getString("token"))
                                  .put("expires_in_s", t.getInteger("expires_in_s"))));
            });
  }

  private static JsonObject target(RoutingContext ctx, boolean withPort) {
    JsonObject req =
        new JsonObject()
            .put("owner", Caller.of(ctx).owner())
            .put("session_id", Routes.sessionId(ctx));
    return withPort ? req.put("port", Routes.port(ctx)) : req;
  }

  /** The POST reply: DESIGN's shape, plus visibility and policy. */
  private static JsonObject full(JsonObject e, Urls urls) {
    JsonObject out =
        new JsonObject()
            .put("session_id", e.getString("session_id"))
            .put("port", e.getInteger("port"))
            .put("protocol", e.getString("protocol"))
            .put("name", e.getString("name"))
            .put("urls", urls.forExposure(e));
    if (e.getInteger("allocated_port") != null) {
      out.put("allocated_port", e.getInteger("allocated_port"));
    }
    return out.put("status", e.getString("status"))
        .put("visibility", e.getString("visibility"))
        .put("policy", e.getJsonObject("policy"));
  }

  /** An item of {@code exposed_ports}: {port, protocol, name, url, status} and more. */
  private static JsonObject item(JsonObject e, Urls urls) {
    JsonArray all = urls.forExposure(e);
    JsonObject out =
        new JsonObject()
            .put("port", e.getInteger("port"))
            .put("protocol", e.getString("protocol"))
            .put("name", e.getString("name"))
            .put("url", all.isEmpty() ? null : all.getString(0))
            .put("status", e.getString("status"))
            .put("urls", all)
            .put("visibility", e.getString("visibility"));
    if (e.getInteger("allocated_port") != null) {
      out.put("allocated_port", e.getInteger("allocated_port"));
    }
    return out;
  }

  private Future<Http.Reply> expose(RoutingContext ctx) {
    JsonObject req =
        target(ctx, false).mergeIn(Requests.expose(Body.object(ctx.body().buffer(), false), cfg));
    Urls urls = Urls.of(cfg, ctx);
    return registry
        .request(Addresses.REGISTRY_EXPOSURE_CREATE, req)
        .map(
            r -> {
              JsonObject body = full(r.getJsonObject("exposure"), urls);
              return r.getBoolean("created") ? Http.Reply.created(body) : Http.Reply.ok(body);
            });
  }

  private Future<Http.Reply> list(RoutingContext ctx) {
    Urls urls = Urls.of(cfg, ctx);
    return registry
        .request(Addresses.REGISTRY_EXPOSURE_LIST, target(ctx, false))
        .map(
            r -> {
              JsonArray ports = new JsonArray();
              r.getJsonArray("exposures").forEach(e -> ports.add(item((JsonObject) e, urls)));
              return Http.Reply.ok(
                  new JsonObject()
                      .put("session_id", r.getString("session_id"))
                      .put("exposed_ports", ports));
            });
  }

  private Future<Http.Reply> get(RoutingContext ctx) {
    JsonObject req = target(ctx, true);
    int port = req.getInteger("port");
    Urls urls = Urls.of(cfg, ctx);
    return registry
        .request(Addresses.REGISTRY_EXPOSURE_LIST, req)
        .compose(
            r -> {
              for (Object o : r.getJsonArray("exposures")) {
                JsonObject e = (JsonObject) o;
                if (e.getInteger("port") == port) {
                  return Future.succeededFuture(Http.Reply.ok(full(e, urls)));
                }
              }
              return Future.failedFuture(
                  Http.notFound(
                      "port "
                          + port
                          + " of session "
                          + req.getString("session_id")
                          + " is not exposed"));
            });
  }

  private Future<Http.Reply> unexpose(RoutingContext ctx) {
    return registry
        .request(Addresses.REGISTRY_EXPOSURE_DELETE, target(ctx, true))
        .map(r -> Http.Reply.noContent());
  }

  private Future<Http.Reply> share(RoutingContext ctx) {
    JsonObject req =
        target(ctx, true)
            .put("key_id", Caller.of(ctx).keyId())
            .mergeIn(Requests.share(Body.object(ctx.body().buffer(), true)));
    Urls urls = Urls.of(cfg, ctx);
    return registry
        .request(Addresses.REGISTRY_SHARE_CREATE, req)
        .map(
            s ->
                Http.Reply.created(
                    s.put(
                        "urls",
                        urls.forShare(
                            s.getString("session_id"),
                            s.getInteger("port"),
                            s.getString("token")))));
  }

  private Future<Http.Reply> shares(RoutingContext ctx) {
    return registry.request(Addresses.REGISTRY_SHARE_LIST, target(ctx, true)).map(Http.Reply::ok);
  }

  private Future<Http.Reply> revokeAll(RoutingContext ctx) {
    return registry.request(Addresses.REGISTRY_SHARE_REVOKE, target(ctx, true)).map(Http.Reply::ok);
  }

  private Future<Http.Reply> revoke(RoutingContext ctx) {
    String id = ctx.pathParam("share_id");
    if (id == null || !id.matches("^shr_[0-9a-hjkmnp-tv-z]{26}$")) {
      throw Http.notFound("no share link " + id);
    }
    return registry
        .request(Addresses.REGISTRY_SHARE_REVOKE, target(ctx, true).put("share_id", id))
        .map(r -> Http.Reply.noContent());
  }
}
