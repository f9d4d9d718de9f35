package io.porthole.api;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code /api/v1/admin/*}: the HTTP bridge to the {@code porthole.admin.*} event-bus endpoints. An
 * admin key is required (a non-admin key is a 403); the caller's key id travels as the {@code
 * actor} the admin side writes to the audit log.
 */
final class AdminRoutes {

  private static final String SANDBOX_ID = "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$";

  private final Registry bus;

  private AdminRoutes(Registry bus) {
    this.bus = bus;
  }

  static void mount(Routes routes, Registry bus) {
    AdminRoutes a = new AdminRoutes(bus);
    routes.on(HttpMethod.GET, "/api/v1/admin/nodes", a::nodes);
    routes.on(HttpMethod.GET, "/api/v1/admin/tunnels", a::tunnels);
    routes.on(HttpMethod.GET, "/api/v1/admin/sessions", a::sessions);
    routes.on(HttpMethod.GET, "/api/v1/admin/ports", a::ports);
    routes.on(HttpMethod.POST, "/api/v1/admin/tunnels/:sandbox_id/kick", a::kick);
    routes.on(HttpMethod.POST, "/api/v1/admin/nodes/:node_id/drain", a::drain);
    routes.on(HttpMethod.DELETE, "/api/v1/admin/sessions/:id", a::endSession);
    routes.on(HttpMethod.POST, "/api/v1/admin/sandboxes/:sandbox_id/token", a::token);
  }

  /** {actor} for an admin caller; anyone else is refused. */
  private static JsonObject actor(RoutingContext ctx) {
    Caller c = Caller.of(ctx);
    if (!c.admin()) {
      throw new PortholeException(ErrorCode.FORBIDDEN, "an admin key is required");
    }
    return new JsonObject().put("actor", c.keyId());
  }

  private static String sandboxId(RoutingContext ctx) {
    String id = ctx.pathParam("sandbox_id");
    if (id == null || !id.matches(SANDBOX_ID)) {
      throw Http.invalid("the sandbox id must match " + SANDBOX_ID);
    }
    return id;
  }

  private Future<Http.Reply> nodes(RoutingContext ctx) {
    return bus.request(Addresses.ADMIN_NODES, actor(ctx)).map(Http.Reply::ok);
  }

  private Future<Http.Reply> tunnels(RoutingContext ctx) {
    return bus.request(Addresses.ADMIN_TUNNELS, actor(ctx)).map(Http.Reply::ok);
  }

  private Future<Http.Reply> sessions(RoutingContext ctx) {
    JsonObject req = actor(ctx);
    String ended = ctx.queryParams().get("include_ended");
    if (ended != null && !ended.equals("true") && !ended.equals("false")) {
      throw Http.invalid("'include_ended' must be true or false, got \"" + ended + "\"");
    }
    return bus.request(Addresses.ADMIN_SESSIONS, req.put("include_ended", "true".equals(ended)))
        .map(Http.Reply::ok);
  }

  private Future<Http.Reply> ports(RoutingContext ctx) {
    return bus.request(Addresses.ADMIN_PORTS, actor(ctx)).map(Http.Reply::ok);
  }

  private Future<Http.Reply> kick(RoutingContext ctx) {
    JsonObject req = actor(ctx);
    String id = sandboxId(ctx);
    return bus.request(
            Addresses.ADMIN_KICK,
            req.put("sandbox_id", id).put("reason", "kicked by admin " + req.getString("actor")))
        .map(Http.Reply::ok);
  }

  /** {@code ?timeout_ms=} how long in-flight streams may take before the tunnels close anyway. */
  private Future<Http.Reply> drain(RoutingContext ctx) {
    JsonObject req = actor(ctx);
    String node = ctx.pathParam("node_id");
    if (node == null || !node.matches("[A-Za-z0-9._-]{1,64}")) {
      throw Http.invalid("the node id must be 1-64 letters, digits, '.', '_' or '-'");
    }
    String timeout = ctx.queryParams().get("timeout_ms");
    if (timeout != null) {
      if (!timeout.matches("\\d{1,7}") || Long.parseLong(timeout) > 3_600_000) {
        throw Http.invalid("'timeout_ms' must be a whole number from 0 to 3600000");
      }
      req.put("timeout_ms", Long.parseLong(timeout));
    }
    return bus.request(Addresses.ADMIN_DRAIN, req.put("node_id", node)).map(Http.Reply::ok);
  }

  private Future<Http.Reply> endSession(RoutingContext ctx) {
    JsonObject req = actor(ctx);
    String id = Routes.sessionId(ctx);
    return bus.request(Addresses.ADMIN_SESSION_END, req.put("session_id", id), 90_000)
        .map(Http.Reply::ok);
  }

  private Future<Http.Reply> token(RoutingContext ctx) {
    JsonObject req = actor(ctx);
    String id = sandboxId(ctx);
    return bus.request(Addresses.ADMIN_SANDBOX_TOKEN, req.put("sandbox_id", id))
        .map(Http.Reply::created);
  }
}
