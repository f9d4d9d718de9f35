package io.porthole.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.config.Settings;
import io.porthole.postgres.PgSettings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The registry addresses the admin endpoints use: every owner's sessions, and audit rows. */
@ExtendWith(VertxExtension.class)
class AdminRegistryTest {

  private static PgSettings pg;

  @BeforeAll
  static void database() {
    pg = TestPostgres.freshDatabase();
  }

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext ctx) {
    JsonObject config = Settings.defaults().put(Settings.PG_URL.name(), pg.uri());
    vertx
        .deployVerticle(
            new SessionRegistryVerticle(HealthChecks.create(vertx)),
            new DeploymentOptions().setConfig(config))
        .onComplete(ctx.succeedingThenComplete());
  }

  private static String scalar(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      if (!sql.startsWith("SELECT")) {
        s.execute(sql);
        return null;
      }
      try (ResultSet rs = s.executeQuery(sql)) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static Future<JsonObject> ask(Vertx vertx, String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body).map(m -> m.body());
  }

  @Test
  @DisplayName("session.list-all returns the sessions of every owner, or one by id")
  void listAll(Vertx vertx, VertxTestContext ctx) {
    vertx
        .executeBlocking(
            () ->
                scalar(
                    "INSERT INTO sessions (id, owner, status) VALUES"
                        + " ('ses_adminlist0000000000000001', 'alice', 'running'),"
                        + " ('ses_adminlist0000000000000002', 'bob', 'running'),"
                        + " ('ses_adminlist0000000000000003', 'carol', 'ended')"
                        + " ON CONFLICT DO NOTHING"))
        .compose(v -> ask(vertx, Addresses.REGISTRY_SESSION_LIST_ALL, new JsonObject()))
        .compose(
            all -> {
              ctx.verify(
                  () ->
                      assertThat(ids(all.getJsonArray("sessions")))
                          .contains(
                              "ses_adminlist0000000000000001", "ses_adminlist0000000000000002")
                          .doesNotContain("ses_adminlist0000000000000003"));
              return ask(
                  vertx,
                  Addresses.REGISTRY_SESSION_LIST_ALL,
                  new JsonObject().put("session_id", "ses_adminlist0000000000000003"));
            })
        .onComplete(
            ctx.succeeding(
                one ->
                    ctx.verify(
                        () -> {
                          JsonArray s = one.getJsonArray("sessions");
                          assertThat(s).hasSize(1);
                          assertThat(s.getJsonObject(0).getString("owner")).isEqualTo("carol");
                          ctx.completeNow();
                        })));
  }

  private static List<String> ids(JsonArray sessions) {
    return sessions.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }

  @Test
  @DisplayName("audit.record writes one row with actor, action, subject and details")
  void auditRecord(Vertx vertx, VertxTestContext ctx) {
    ask(
            vertx,
            Addresses.REGISTRY_AUDIT_RECORD,
            new JsonObject()
                .put("actor", "key_00000000000000aa")
                .put("action", "admin.test")
                .put("subject", "sbx-1")
                .put("details", new JsonObject().put("why", "test")))
        .compose(
            v ->
                vertx.executeBlocking(
                    () ->
                        scalar(
                            "SELECT actor || '|' || subject || '|' || (details->>'why')"
                                + " FROM audit_log WHERE action = 'admin.test'")))
        .onComplete(
            ctx.succeeding(
                row ->
                    ctx.verify(
                        () -> {
                          assertThat(row).isEqualTo("key_00000000000000aa|sbx-1|test");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("audit.record without an actor is an invalid request")
  void auditNeedsActor(Vertx vertx, VertxTestContext ctx) {
    ask(vertx, Addresses.REGISTRY_AUDIT_RECORD, new JsonObject().put("action", "admin.test"))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err).isInstanceOf(ReplyException.class);
                          assertThat(ErrorCode.of(err)).isEqualTo(ErrorCode.INVALID);
                          ctx.completeNow();
                        })));
  }
}
