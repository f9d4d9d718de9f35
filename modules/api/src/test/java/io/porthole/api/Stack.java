package io.porthole.api;

import io.porthole.common.config.Settings;
import io.porthole.ports.PortAllocatorVerticle;
import io.porthole.postgres.PgSettings;
import io.porthole.registry.SessionRegistryVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A node's API side for tests: the real registry and port allocator on a real PostgreSQL, and the
 * API on a free port. Sandboxes are {@link FakeSandbox}es on the same event bus.
 */
final class Stack {

  static final String ADMIN_KEY = "phk_test-admin-key-0123456789abcdefghij";

  final Vertx vertx;
  final PgSettings pg;
  final WebClient client;
  final ApiVerticle api;

  private Stack(Vertx vertx, PgSettings pg, ApiVerticle api) {
    this.vertx = vertx;
    this.pg = pg;
    this.api = api;
    this.client = WebClient.create(vertx);
  }

  static JsonObject config(PgSettings pg) {
    return Settings.defaults()
        .put(Settings.PG_URL.name(), pg.uri())
        .put(Settings.HTTP_HOST.name(), "127.0.0.1")
        .put(Settings.HTTP_PORT.name(), 0)
        .put(Settings.NODE_ID.name(), "n1")
        .put(Settings.BOOTSTRAP_ADMIN_KEY.name(), ADMIN_KEY)
        .put(Settings.PORTS_RANGE_START.name(), 47000)
        .put(Settings.PORTS_RANGE_END.name(), 47999);
  }

  /** Registry, allocator and API, in the order a node deploys them. */
  static Future<Stack> start(Vertx vertx, PgSettings pg, JsonObject config) {
    HealthChecks health = HealthChecks.create(vertx);
    ApiVerticle api = new ApiVerticle(health);
    DeploymentOptions options = new DeploymentOptions().setConfig(config);
    return vertx
        .deployVerticle(new SessionRegistryVerticle(health), options)
        .compose(id -> vertx.deployVerticle(new PortAllocatorVerticle(), options))
        .compose(id -> vertx.deployVerticle(api, options))
        .map(id -> new Stack(vertx, pg, api));
  }

  Future<HttpResponse<Buffer>> call(HttpMethod method, String path, String key, Object body) {
    HttpRequest<Buffer> req = client.request(method, api.actualPort(), "127.0.0.1", path);
    if (key != null) {
      req.putHeader("Authorization", "Bearer " + key);
    }
    if (body == null) {
      return req.send();
    }
    req.putHeader("content-type", "application/json");
    return req.sendBuffer(
        body instanceof JsonObject o ? o.toBuffer() : Buffer.buffer(body.toString()));
  }

  Future<HttpResponse<Buffer>> post(String path, String key, Object body) {
    return call(HttpMethod.POST, path, key, body);
  }

  Future<HttpResponse<Buffer>> get(String path, String key) {
    return call(HttpMethod.GET, path, key, null);
  }

  Future<HttpResponse<Buffer>> delete(String path, String key) {
    return call(HttpMethod.DELETE, path, key, null);
  }

  /** A new (non-admin) key for {@code owner}, made by the admin key. */
  Future<String> keyFor(String owner) {
    return post("/api/v1/keys", ADMIN_KEY, new JsonObject().put("owner", owner))
        .map(r -> r.bodyAsJsonObject().getString("key"));
  }

  /** A running session of the key's owner (a sandbox must be connected). */
  Future<String> session(String key) {
    return post("/api/v1/sessions", key, new JsonObject())
        .map(r -> r.bodyAsJsonObject().getString("id"));
  }

  /** One column of a query, read off the event loop (JDBC blocks). */
  Future<List<String>> q(String sql) {
    return vertx.executeBlocking(() -> column(sql), false);
  }

  /** A count, read off the event loop. */
  Future<Long> n(String sql) {
    return q(sql).map(rows -> Long.parseLong(rows.get(0)));
  }

  private List<String> column(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /**
   * Completes once {@code condition} holds, polling every 20 ms with Vert.x timers; fails after 5
   * s. Events are published before a reply is sent but delivered asynchronously.
   */
  static Future<Void> eventually(Vertx vertx, BooleanSupplier condition) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + 5_000_000_000L;
    poll(vertx, condition, deadline, done);
    return done.future();
  }

  private static void poll(
      Vertx vertx, BooleanSupplier condition, long deadline, Promise<Void> done) {
    if (condition.getAsBoolean()) {
      done.complete();
    } else if (System.nanoTime() > deadline) {
      done.fail("condition not met within 5 s");
    } else {
      vertx.setTimer(20, t -> poll(vertx, condition, deadline, done));
    }
  }

  static String error(HttpResponse<Buffer> r) {
    return r.bodyAsJsonObject().getJsonObject("error").getString("code");
  }
}
