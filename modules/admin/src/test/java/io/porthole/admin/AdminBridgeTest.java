package io.porthole.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.api.ApiVerticle;
import io.porthole.common.Addresses;
import io.porthole.common.config.Settings;
import io.porthole.ports.PortAllocatorVerticle;
import io.porthole.postgres.PgSettings;
import io.porthole.registry.SessionRegistryVerticle;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The admin endpoints through the HTTP bridge: the real registry, port allocator and API on a real
 * PostgreSQL, with {@link AdminVerticle} over a tunnel table holding one tunnel.
 */
@ExtendWith(VertxExtension.class)
class AdminBridgeTest {

  private static final String ADMIN_KEY = "phk_test-admin-key-0123456789abcdefghij";
  private static final String SANDBOX = "sbx-admin-1";

  private static PgSettings pg;
  private ApiVerticle api;
  private OneTunnel tunnels;
  private WebClient client;

  @BeforeAll
  static void database() {
    pg = TestPostgres.freshDatabase();
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    JsonObject config =
        Settings.defaults()
            .put(Settings.PG_URL.name(), pg.uri())
            .put(Settings.HTTP_HOST.name(), "127.0.0.1")
            .put(Settings.HTTP_PORT.name(), 0)
            .put(Settings.NODE_ID.name(), "n1")
            .put(Settings.ROLE.name(), "api")
            .put(Settings.BOOTSTRAP_ADMIN_KEY.name(), ADMIN_KEY)
            .put(Settings.PORTS_RANGE_START.name(), 47000)
            .put(Settings.PORTS_RANGE_END.name(), 47999);
    HealthChecks health = HealthChecks.create(vertx);
    DeploymentOptions options = new DeploymentOptions().setConfig(config);
    api = new ApiVerticle(health);
    tunnels = new OneTunnel(SANDBOX);
    client = WebClient.create(vertx);
    vertx
        .deployVerticle(new SessionRegistryVerticle(health), options)
        .compose(id -> vertx.deployVerticle(new PortAllocatorVerticle(), options))
        .compose(id -> vertx.deployVerticle(new AdminVerticle(tunnels), options))
        .compose(id -> vertx.deployVerticle(api, options))
        .onComplete(ctx.succeedingThenComplete());
  }

  private Future<HttpResponse<Buffer>> call(HttpMethod method, String path, String key) {
    HttpRequest<Buffer> req = client.request(method, api.actualPort(), "127.0.0.1", path);
    if (key != null) {
      req.putHeader("Authorization", "Bearer " + key);
    }
    return req.send();
  }

  private Future<String> userKey() {
    return client
        .post(api.actualPort(), "127.0.0.1", "/api/v1/keys")
        .putHeader("Authorization", "Bearer " + ADMIN_KEY)
        .sendJsonObject(new JsonObject().put("owner", "alice"))
        .map(r -> r.bodyAsJsonObject().getString("key"));
  }

  private static String scalar(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private Future<Long> auditRows(Vertx vertx, String action) {
    return vertx.executeBlocking(
        () ->
            Long.parseLong(
                scalar("SELECT count(*) FROM audit_log WHERE action = '" + action + "'")),
        false);
  }

  private static String errorCode(HttpResponse<Buffer> r) {
    return r.bodyAsJsonObject().getJsonObject("error").getString("code");
  }

  @Test
  @DisplayName("Without a key the admin routes are a 401, with a non-admin key a 403, both JSON")
  void authentication(VertxTestContext ctx) {
    call(HttpMethod.GET, "/api/v1/admin/nodes", null)
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(401);
                    assertThat(errorCode(r)).isEqualTo("unauthorized");
                  });
              return userKey();
            })
        .compose(
            key ->
                Future.all(
                    call(HttpMethod.GET, "/api/v1/admin/nodes", key),
                    call(HttpMethod.GET, "/api/v1/admin/tunnels", key),
                    call(HttpMethod.POST, "/api/v1/admin/tunnels/" + SANDBOX + "/kick", key),
                    call(HttpMethod.POST, "/api/v1/admin/sandboxes/" + SANDBOX + "/token", key)))
        .onComplete(
            ctx.succeeding(
                all ->
                    ctx.verify(
                        () -> {
                          for (int i = 0; i < all.size(); i++) {
                            HttpResponse<Buffer> r = all.resultAt(i);
                            assertThat(r.statusCode()).isEqualTo(403);
                            assertThat(r.getHeader("content-type")).isEqualTo("application/json");
                            assertThat(errorCode(r)).isEqualTo("forbidden");
                          }
                          assertThat(tunnels.kicks).isEmpty();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("GET /admin/nodes lists this node as up, with its roles, uptime and heap")
  void nodes(Vertx vertx, VertxTestContext ctx) {
    call(HttpMethod.GET, "/api/v1/admin/nodes", ADMIN_KEY)
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    JsonArray nodes = r.bodyAsJsonObject().getJsonArray("nodes");
                    assertThat(nodes).hasSize(1);
                    JsonObject n = nodes.getJsonObject(0);
                    assertThat(n.getString("node_id")).isEqualTo("n1");
                    assertThat(n.getString("status")).isEqualTo("up");
                    assertThat(n.getJsonArray("roles")).containsExactly("api");
                    assertThat(n.getLong("uptime_ms")).isGreaterThanOrEqualTo(0);
                    assertThat(n.getLong("heap_max")).isPositive();
                    assertThat(n.getInteger("tunnels")).isEqualTo(1);
                  });
              return auditRows(vertx, "admin.nodes");
            })
        .onComplete(
            ctx.succeeding(
                rows ->
                    ctx.verify(
                        () -> {
                          assertThat(rows).isEqualTo(1);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A node recorded in the node map that does not answer is listed as unreachable")
  void unreachable(Vertx vertx, VertxTestContext ctx) {
    JsonObject ghost =
        new JsonObject()
            .put("node_id", "n9-gone")
            .put("address", "10.0.0.9:8080")
            .put("roles", new JsonArray().add("api"))
            .put("started_at", "2026-01-01T00:00:00Z");
    vertx
        .sharedData()
        .<String, JsonObject>getAsyncMap(Addresses.NODES_MAP)
        .compose(
            m ->
                m.put("n9-gone", ghost)
                    .compose(v -> call(HttpMethod.GET, "/api/v1/admin/tunnels", ADMIN_KEY))
                    .compose(r -> m.remove("n9-gone").map(r)))
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(200);
                          JsonObject body = r.bodyAsJsonObject();
                          assertThat(body.getJsonArray("unreachable")).containsExactly("n9-gone");
                          assertThat(body.getJsonArray("tunnels")).hasSize(1);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "GET /admin/tunnels lists the tunnel, and a kick closes it; an unknown sandbox kicks 0")
  void tunnelsAndKick(Vertx vertx, VertxTestContext ctx) {
    call(HttpMethod.GET, "/api/v1/admin/tunnels", ADMIN_KEY)
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    JsonArray list = r.bodyAsJsonObject().getJsonArray("tunnels");
                    assertThat(list).hasSize(1);
                    assertThat(list.getJsonObject(0).getString("sandbox_id")).isEqualTo(SANDBOX);
                    assertThat(r.bodyAsJsonObject().getJsonArray("unreachable")).isEmpty();
                  });
              return call(HttpMethod.POST, "/api/v1/admin/tunnels/" + SANDBOX + "/kick", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.bodyAsJsonObject().getInteger("kicked")).isEqualTo(1);
                  });
              return call(HttpMethod.POST, "/api/v1/admin/tunnels/sbx-nobody/kick", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.bodyAsJsonObject().getInteger("kicked")).isEqualTo(0);
                    assertThat(tunnels.kicks).hasSize(2);
                  });
              return vertx.executeBlocking(
                  () ->
                      scalar(
                          "SELECT string_agg(subject, ',' ORDER BY id) FROM audit_log"
                              + " WHERE action = 'admin.kick'"),
                  false);
            })
        .onComplete(
            ctx.succeeding(
                subjects ->
                    ctx.verify(
                        () -> {
                          assertThat(subjects).isEqualTo(SANDBOX + ",sbx-nobody");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Sessions, ports, session end and sandbox token each answer and leave an audit row")
  void registryBacked(Vertx vertx, VertxTestContext ctx) {
    call(HttpMethod.GET, "/api/v1/admin/sessions", ADMIN_KEY)
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.bodyAsJsonObject().getJsonArray("sessions")).isNotNull();
                  });
              return call(HttpMethod.GET, "/api/v1/admin/ports", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.bodyAsJsonObject().getJsonArray("allocations")).isNotNull();
                  });
              return call(
                  HttpMethod.DELETE,
                  "/api/v1/admin/sessions/ses_01kftf048shs1ca1wnfwy9msb7",
                  ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(404);
                    assertThat(errorCode(r)).isEqualTo("not_found");
                  });
              return call(HttpMethod.POST, "/api/v1/admin/sandboxes/sbx-new-1/token", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(201);
                    assertThat(r.bodyAsJsonObject().getString("sandbox_id")).isEqualTo("sbx-new-1");
                    assertThat(r.bodyAsJsonObject().getString("token")).isNotEmpty();
                  });
              return vertx.executeBlocking(
                  () ->
                      scalar(
                          "SELECT string_agg(DISTINCT action, ',' ORDER BY action) FROM audit_log"
                              + " WHERE action LIKE 'admin.%' AND action <> 'admin.kick'"
                              + " AND action <> 'admin.nodes' AND action <> 'admin.tunnels'"
                              + " AND actor LIKE 'key_%'"),
                  false);
            })
        .onComplete(
            ctx.succeeding(
                actions ->
                    ctx.verify(
                        () -> {
                          assertThat(actions)
                              .isEqualTo(
                                  "admin.ports,admin.sandbox.token,admin.session.end,admin.sessions");
                          ctx.completeNow();
                        })));
  }
}
