package io.porthole.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.common.config.Settings;
import io.porthole.postgres.PgSettings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class RegistryStartupTest {

  private static JsonObject config(PgSettings pg, String adminKey) {
    return Settings.defaults()
        .put(Settings.PG_URL.name(), pg.uri())
        .put(Settings.BOOTSTRAP_ADMIN_KEY.name(), adminKey);
  }

  /** The first column of a query, read with JDBC on a worker. */
  private static Future<List<String>> column(Vertx vertx, PgSettings pg, String sql) {
    return vertx.executeBlocking(() -> column(pg, sql), false);
  }

  private static List<String> column(PgSettings pg, String sql) throws SQLException {
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

  private static Future<String> deploy(Vertx vertx, JsonObject config) {
    return vertx.deployVerticle(
        new SessionRegistryVerticle(HealthChecks.create(vertx)),
        new DeploymentOptions().setConfig(config));
  }

  @Test
  @DisplayName("Start-up applies the schema migrations, and a second start applies none again")
  void migrations(Vertx vertx, VertxTestContext ctx) {
    PgSettings pg = TestPostgres.freshDatabase();
    deploy(vertx, config(pg, ""))
        .compose(vertx::undeploy)
        .compose(v -> deploy(vertx, config(pg, "")))
        .compose(
            id ->
                Future.all(
                    column(
                        vertx,
                        pg,
                        "SELECT table_name FROM information_schema.tables"
                            + " WHERE table_schema = 'public'"),
                    column(vertx, pg, "SELECT version FROM flyway_schema_history WHERE success")))
        .onComplete(
            ctx.succeeding(
                columns ->
                    ctx.verify(
                        () -> {
                          assertThat(columns.<List<String>>resultAt(0))
                              .contains(
                                  "api_keys",
                                  "sandboxes",
                                  "sessions",
                                  "exposures",
                                  "port_allocations",
                                  "audit_log",
                                  "flyway_schema_history");
                          assertThat(columns.<List<String>>resultAt(1)).containsExactly("1", "2");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A configured bootstrap admin key exists afterwards, stored only as its hash")
  void bootstrapKey(Vertx vertx, VertxTestContext ctx) {
    PgSettings pg = TestPostgres.freshDatabase();
    String key = "phk_test-bootstrap-key-0123456789";
    deploy(vertx, config(pg, key))
        .compose(vertx::undeploy)
        .compose(v -> deploy(vertx, config(pg, key)))
        .compose(
            id ->
                Future.all(
                    column(vertx, pg, "SELECT key_hash FROM api_keys WHERE is_admin"),
                    column(vertx, pg, "SELECT key_hash FROM api_keys"),
                    column(vertx, pg, "SELECT action FROM audit_log")))
        .onComplete(
            ctx.succeeding(
                columns ->
                    ctx.verify(
                        () -> {
                          assertThat(columns.<List<String>>resultAt(0))
                              .containsExactly(ApiKeys.hash(key));
                          assertThat(columns.<List<String>>resultAt(1))
                              .noneMatch(h -> h.contains(key));
                          assertThat(columns.<List<String>>resultAt(2))
                              .containsExactly("admin_key.bootstrap");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Without a configured key, the first start generates one admin key, later starts none")
  void generatedKey(Vertx vertx, VertxTestContext ctx) {
    PgSettings pg = TestPostgres.freshDatabase();
    deploy(vertx, config(pg, ""))
        .compose(vertx::undeploy)
        .compose(v -> deploy(vertx, config(pg, "")))
        .compose(
            id ->
                Future.all(
                    column(vertx, pg, "SELECT label FROM api_keys WHERE is_admin"),
                    column(vertx, pg, "SELECT action FROM audit_log")))
        .onComplete(
            ctx.succeeding(
                columns ->
                    ctx.verify(
                        () -> {
                          assertThat(columns.<List<String>>resultAt(0))
                              .containsExactly("generated");
                          assertThat(columns.<List<String>>resultAt(1))
                              .containsExactly("admin_key.generate");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("The ping address answers while PostgreSQL is reachable")
  void ping(Vertx vertx, VertxTestContext ctx) {
    PgSettings pg = TestPostgres.freshDatabase();
    deploy(vertx, config(pg, ""))
        .compose(id -> vertx.eventBus().<JsonObject>request(Addresses.REGISTRY_PING, null))
        .onComplete(
            ctx.succeeding(
                reply ->
                    ctx.verify(
                        () -> {
                          assertThat(reply.body().getBoolean("ok")).isTrue();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("An unreachable PostgreSQL fails start-up instead of running without a store")
  void unreachable(Vertx vertx, VertxTestContext ctx) {
    PgSettings nowhere = new PgSettings("127.0.0.1", 1, "porthole", "porthole", "x");
    deploy(vertx, config(nowhere, ""))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(vertx.deploymentIDs()).isEmpty();
                          ctx.completeNow();
                        })));
  }
}
