package io.porthole.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.postgres.PgSettings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** API keys: 401 without a valid one, each owner sees only its own sessions, admins make keys. */
@ExtendWith(VertxExtension.class)
class AuthTest {

  private static PgSettings pg;
  private Stack stack;

  @BeforeAll
  static void database() {
    pg = TestPostgres.freshDatabase();
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    Stack.start(vertx, pg, Stack.config(pg))
        .compose(
            s -> {
              stack = s;
              return s.q("WITH d AS (DELETE FROM sandbox_connections RETURNING 1) SELECT 1");
            })
        .compose(v -> new FakeSandbox("sbx-auth").connect(vertx, "n1", 100))
        .onComplete(ctx.succeedingThenComplete());
  }

  private static void assertUnauthorized(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.getHeader("content-type")).isEqualTo("application/json");
    assertThat(Stack.error(r)).isEqualTo("unauthorized");
  }

  @Test
  @DisplayName("No key, an unknown key, a malformed header or a revoked key is a 401 JSON error")
  void unauthorized(VertxTestContext ctx) {
    Checkpoint checks = ctx.checkpoint(4);
    stack
        .get("/api/v1/sessions", null)
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertUnauthorized(r);
                          assertThat(r.getHeader("WWW-Authenticate")).isEqualTo("Bearer");
                          checks.flag();
                        })));
    stack
        .get("/api/v1/sessions", "phk_not-a-real-key")
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertUnauthorized(r);
                          checks.flag();
                        })));
    stack
        .client
        .get(stack.api.actualPort(), "127.0.0.1", "/api/v1/sessions")
        .putHeader("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertUnauthorized(r);
                          checks.flag();
                        })));
    String[] key = new String[1];
    stack
        .post("/api/v1/keys", Stack.ADMIN_KEY, new JsonObject().put("owner", "temp"))
        .compose(
            created -> {
              key[0] = created.bodyAsJsonObject().getString("key");
              return stack
                  .get("/api/v1/sessions", key[0])
                  .map(created.bodyAsJsonObject().getString("id"));
            })
        .compose(id -> stack.delete("/api/v1/keys/" + id, key[0]))
        .compose(revoked -> stack.get("/api/v1/sessions", key[0]))
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertUnauthorized(r);
                          checks.flag();
                        })));
  }

  @Test
  @DisplayName(
      "Another owner's session is a 404 on every route, exactly like one that does not exist,"
          + " and stays untouched")
  void isolation(VertxTestContext ctx) {
    String[] alice = new String[1];
    String[] session = new String[1];
    stack
        .keyFor("alice")
        .compose(
            a -> {
              alice[0] = a;
              return stack.session(a);
            })
        .compose(
            s -> {
              session[0] = s;
              return stack.post(
                  "/api/v1/sessions/" + s + "/expose",
                  alice[0],
                  new JsonObject().put("port", 8080));
            })
        .compose(v -> stack.keyFor("mallory"))
        .compose(
            mallory -> {
              String base = "/api/v1/sessions/" + session[0];
              JsonObject port = new JsonObject().put("port", 9090);
              List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
              all.add(stack.get(base, mallory));
              all.add(stack.delete(base, mallory));
              all.add(stack.post(base + "/expose", mallory, port));
              all.add(stack.get(base + "/expose", mallory));
              all.add(stack.get(base + "/expose/8080", mallory));
              all.add(stack.delete(base + "/expose/8080", mallory));
              all.add(stack.post(base + "/expose/8080/shares", mallory, new JsonObject()));
              all.add(stack.get(base + "/expose/8080/shares", mallory));
              all.add(stack.call(HttpMethod.DELETE, base + "/expose/8080/shares", mallory, null));
              return Future.all(all).map(v -> all);
            })
        .compose(
            all -> {
              ctx.verify(
                  () -> {
                    for (Future<HttpResponse<Buffer>> f : all) {
                      assertThat(f.result().statusCode()).isEqualTo(404);
                      assertThat(Stack.error(f.result())).isEqualTo("not_found");
                      assertThat(f.result().bodyAsString()).doesNotContain("alice");
                    }
                  });
              return stack.get("/api/v1/sessions/" + session[0] + "/expose", alice[0]);
            })
        .onComplete(
            ctx.succeeding(
                mine ->
                    ctx.verify(
                        () -> {
                          assertThat(mine.statusCode()).isEqualTo(200);
                          assertThat(mine.bodyAsJsonObject().getJsonArray("exposed_ports"))
                              .hasSize(1);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Only an admin key creates keys: the key is shown once, stored as a hash, never listed")
  void keys(VertxTestContext ctx) {
    String[] created = new String[2];
    stack
        .post(
            "/api/v1/keys",
            Stack.ADMIN_KEY,
            new JsonObject().put("owner", "carol").put("label", "ci"))
        .compose(
            r -> {
              JsonObject k = r.bodyAsJsonObject();
              created[0] = k.getString("key");
              created[1] = k.getString("id");
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(201);
                    assertThat(created[0]).startsWith("phk_").hasSizeGreaterThan(40);
                    assertThat(k.getString("owner")).isEqualTo("carol");
                    assertThat(k.getBoolean("admin")).isFalse();
                  });
              return stack.post("/api/v1/keys", created[0], new JsonObject().put("owner", "carol"));
            })
        .compose(
            forbidden -> {
              ctx.verify(
                  () -> {
                    assertThat(forbidden.statusCode()).isEqualTo(403);
                    assertThat(Stack.error(forbidden)).isEqualTo("forbidden");
                  });
              return stack.get("/api/v1/keys", Stack.ADMIN_KEY);
            })
        .compose(
            list -> {
              ctx.verify(
                  () -> {
                    assertThat(list.bodyAsString())
                        .doesNotContain(created[0])
                        .doesNotContain("hash");
                    assertThat(
                            list.bodyAsJsonObject().getJsonArray("keys").stream()
                                .map(o -> ((JsonObject) o).getString("id")))
                        .contains(created[1]);
                  });
              return stack.q("SELECT key_hash FROM api_keys WHERE owner = 'carol'");
            })
        .compose(
            hashes -> {
              ctx.verify(() -> assertThat(hashes).containsExactly(Auth.hash(created[0])));
              return stack.q("SELECT action FROM audit_log WHERE subject = '" + created[1] + "'");
            })
        .onComplete(
            ctx.succeeding(
                actions ->
                    ctx.verify(
                        () -> {
                          assertThat(actions).contains("key.create");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A key's use is audited at most once a minute, however often it is used")
  void keyUseAudited(VertxTestContext ctx) {
    String[] id = new String[1];
    stack
        .post("/api/v1/keys", Stack.ADMIN_KEY, new JsonObject().put("owner", "dora"))
        .compose(
            r -> {
              id[0] = r.bodyAsJsonObject().getString("id");
              String key = r.bodyAsJsonObject().getString("key");
              return stack
                  .get("/api/v1/sessions", key)
                  .compose(v -> stack.get("/api/v1/sessions", key))
                  .compose(v -> stack.get("/api/v1/sessions", key));
            })
        .compose(v -> stack.q("SELECT action FROM audit_log WHERE actor = '" + id[0] + "'"))
        .onComplete(
            ctx.succeeding(
                actions ->
                    ctx.verify(
                        () -> {
                          assertThat(actions).containsExactly("key.use");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A key of another owner cannot be revoked by a non-admin: 404")
  void revokeOthers(VertxTestContext ctx) {
    stack
        .post("/api/v1/keys", Stack.ADMIN_KEY, new JsonObject().put("owner", "erin"))
        .compose(
            erin ->
                stack
                    .keyFor("frank")
                    .compose(
                        frank ->
                            stack.delete(
                                "/api/v1/keys/" + erin.bodyAsJsonObject().getString("id"), frank))
                    .compose(
                        r -> {
                          ctx.verify(() -> assertThat(r.statusCode()).isEqualTo(404));
                          return stack.get(
                              "/api/v1/sessions", erin.bodyAsJsonObject().getString("key"));
                        }))
        .onComplete(
            ctx.succeeding(
                still ->
                    ctx.verify(
                        () -> {
                          assertThat(still.statusCode()).isEqualTo(200);
                          ctx.completeNow();
                        })));
  }
}
