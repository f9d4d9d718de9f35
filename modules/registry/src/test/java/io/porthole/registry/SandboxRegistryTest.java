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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The tunnel server's side of the registry: tokens, connected/disconnected, lost sessions. */
@ExtendWith(VertxExtension.class)
class SandboxRegistryTest {

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

  private static List<String> column(String sql) throws SQLException {
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

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  /** Runs checks that read the database with JDBC on a worker: never on the event loop. */
  private static Future<Void> verifyOnWorker(
      Vertx vertx, VertxTestContext ctx, VertxTestContext.ExecutionBlock checks) {
    return vertx.executeBlocking(
        () -> {
          ctx.verify(checks);
          return null;
        },
        false);
  }

  private static Future<JsonObject> ask(Vertx vertx, String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body).map(m -> m.body());
  }

  @Test
  @DisplayName(
      "An issued token authenticates its sandbox, is stored only hashed, and a wrong one is 401")
  void tokens(Vertx vertx, VertxTestContext ctx) {
    JsonObject who = new JsonObject().put("sandbox_id", "sbx-tok");
    ask(vertx, Addresses.REGISTRY_SANDBOX_ISSUE_TOKEN, who)
        .compose(
            issued ->
                ask(
                        vertx,
                        Addresses.REGISTRY_SANDBOX_AUTHENTICATE,
                        who.copy().put("token", issued.getString("token")).put("instance_id", "i1"))
                    .map(ok -> issued.getString("token")))
        .compose(
            token -> {
              return verifyOnWorker(
                      vertx,
                      ctx,
                      () -> {
                        assertThat(token).startsWith("pht_").hasSizeGreaterThan(40);
                        assertThat(column("SELECT token_hash FROM sandboxes WHERE id = 'sbx-tok'"))
                            .containsExactly(ApiKeys.hash(token));
                        assertThat(column("SELECT action FROM audit_log WHERE subject = 'sbx-tok'"))
                            .containsExactly("sandbox.issue_token");
                      })
                  .compose(
                      checked ->
                          ask(
                              vertx,
                              Addresses.REGISTRY_SANDBOX_AUTHENTICATE,
                              who.copy().put("token", token + "x").put("instance_id", "i1")));
            })
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err).isInstanceOf(ReplyException.class);
                          assertThat(ErrorCode.of(err)).isEqualTo(ErrorCode.UNAUTHORIZED);
                          assertThat(err.getMessage()).doesNotContain("pht_");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Sessions turn sandbox_lost only when the sandbox's last tunnel closes, and run again when"
          + " it reconnects")
  void lostAndFound(Vertx vertx, VertxTestContext ctx) {
    JsonObject a = new JsonObject().put("sandbox_id", "sbx-ha").put("instance_id", "i1");
    ask(vertx, Addresses.REGISTRY_SANDBOX_CONNECTED, a.copy().put("node_id", "n1"))
        .compose(
            v -> ask(vertx, Addresses.REGISTRY_SANDBOX_CONNECTED, a.copy().put("node_id", "n2")))
        .compose(
            v ->
                vertx.executeBlocking(
                    () -> {
                      sql(
                          "INSERT INTO sessions (id, owner, sandbox_id, status) VALUES"
                              + " ('ses_lost', 'o', 'sbx-ha', 'running'),"
                              + " ('ses_done', 'o', 'sbx-ha', 'ended')");
                      return null;
                    },
                    false))
        .compose(
            // the tunnel server says "" when every tunnel of the sandbox on that node is gone
            v ->
                ask(
                    vertx,
                    Addresses.REGISTRY_SANDBOX_DISCONNECTED,
                    a.copy().put("node_id", "n1").put("instance_id", "")))
        .compose(
            v ->
                verifyOnWorker(
                        vertx,
                        ctx,
                        () ->
                            assertThat(column("SELECT status FROM sessions WHERE id = 'ses_lost'"))
                                .containsExactly("running"))
                    .compose(
                        checked ->
                            ask(
                                vertx,
                                Addresses.REGISTRY_SANDBOX_DISCONNECTED,
                                a.copy().put("node_id", "n2"))))
        .compose(
            gone ->
                verifyOnWorker(
                        vertx,
                        ctx,
                        () -> {
                          assertThat(gone.getJsonArray("lost_sessions"))
                              .containsExactly("ses_lost");
                          assertThat(column("SELECT status FROM sessions ORDER BY id"))
                              .containsExactly("ended", "sandbox_lost");
                          assertThat(
                                  column(
                                      "SELECT status_detail FROM sessions WHERE id = 'ses_lost'"))
                              .singleElement()
                              .asString()
                              .contains("sbx-ha");
                        })
                    .compose(
                        checked ->
                            ask(
                                vertx,
                                Addresses.REGISTRY_SANDBOX_CONNECTED,
                                a.copy().put("node_id", "n3"))))
        .onComplete(
            ctx.succeeding(
                v ->
                    verifyOnWorker(
                        vertx,
                        ctx,
                        () -> {
                          assertThat(column("SELECT status FROM sessions ORDER BY id"))
                              .containsExactly("ended", "running");
                          assertThat(
                                  column(
                                      "SELECT node_id FROM sandbox_connections"
                                          + " WHERE sandbox_id = 'sbx-ha'"))
                              .containsExactly("n3");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A request with a missing field is refused as invalid, naming the field")
  void invalidRequest(Vertx vertx, VertxTestContext ctx) {
    ask(vertx, Addresses.REGISTRY_SANDBOX_CONNECTED, new JsonObject().put("sandbox_id", "x"))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(ErrorCode.of(err)).isEqualTo(ErrorCode.INVALID);
                          assertThat(err.getMessage()).contains("node_id");
                          ctx.completeNow();
                        })));
  }
}
