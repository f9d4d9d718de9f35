package io.porthole.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.postgres.PgSettings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class SessionApiTest {

  private static PgSettings pg;
  private Stack stack;
  private String key;

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
              // earlier tests' sandboxes are gone with their Vert.x: forget their tunnels
              return s.q("WITH d AS (DELETE FROM sandbox_connections RETURNING 1) SELECT 1")
                  .compose(v -> s.keyFor("alice"));
            })
        .onComplete(
            ctx.succeeding(
                k -> {
                  key = k;
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName(
      "Creating a session places it on the connected sandbox, which is asked to create the dev"
          + " container, and answers 201 with the running session")
  void create(Vertx vertx, VertxTestContext ctx) {
    FakeSandbox sbx = new FakeSandbox("sbx-a");
    JsonObject options =
        new JsonObject()
            .put("image", "porthole/devbox")
            .put("command", new JsonArray().add("/bin/httpd").add("-f"))
            .put("env", new JsonObject().put("GREETING", "hi"))
            .put("labels", new JsonObject().put("team", "blue"));
    sbx.connect(vertx, "n1", 10)
        .compose(v -> stack.post("/api/v1/sessions", key, options))
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(201);
                          JsonObject s = r.bodyAsJsonObject();
                          String id = s.getString("id");
                          assertThat(id).matches("^ses_[0-9a-hjkmnp-tv-z]{26}$");
                          assertThat(r.getHeader("Location")).isEqualTo("/api/v1/sessions/" + id);
                          assertThat(s.getString("status")).isEqualTo("running");
                          assertThat(s.getString("owner")).isEqualTo("alice");
                          assertThat(s.getString("sandbox_id")).isEqualTo("sbx-a");
                          assertThat(s.getString("container_id")).isEqualTo("ctr-" + id);
                          assertThat(s.getString("ip")).startsWith("10.212.0.");
                          JsonObject sent =
                              sbx.commands("container.create").get(0).getJsonObject("body");
                          assertThat(sent.getString("session_id")).isEqualTo(id);
                          assertThat(sent.getString("image")).isEqualTo("porthole/devbox");
                          assertThat(sent.getJsonArray("command"))
                              .isEqualTo(options.getJsonArray("command"));
                          assertThat(sent.getJsonObject("env"))
                              .isEqualTo(options.getJsonObject("env"));
                          assertThat(sent.getJsonObject("labels"))
                              .isEqualTo(options.getJsonObject("labels"));
                          assertThat(sent.getBoolean("privileged")).isFalse();
                          assertThat(sent.getString("api_url")).startsWith("http://127.0.0.1:");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("The caller's sessions are listed, and one is read back by its id")
  void listAndGet(Vertx vertx, VertxTestContext ctx) {
    FakeSandbox sbx = new FakeSandbox("sbx-b");
    String[] id = new String[1];
    sbx.connect(vertx, "n1", 10)
        .compose(v -> stack.session(key))
        .compose(
            s -> {
              id[0] = s;
              return stack.get("/api/v1/sessions", key);
            })
        .compose(
            list -> {
              ctx.verify(
                  () ->
                      assertThat(
                              list.bodyAsJsonObject().getJsonArray("sessions").stream()
                                  .map(o -> ((JsonObject) o).getString("id")))
                          .contains(id[0]));
              return stack.get("/api/v1/sessions/" + id[0], key);
            })
        .onComplete(
            ctx.succeeding(
                one ->
                    ctx.verify(
                        () -> {
                          assertThat(one.statusCode()).isEqualTo(200);
                          assertThat(one.bodyAsJsonObject().getString("id")).isEqualTo(id[0]);
                          assertThat(one.bodyAsJsonObject().getString("status"))
                              .isEqualTo("running");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Ending a session removes its container, exposures and ports (announced on"
          + " porthole.ports.freed), and it stays readable as ended")
  void end(Vertx vertx, VertxTestContext ctx) {
    FakeSandbox sbx = new FakeSandbox("sbx-c");
    List<JsonObject> freed = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.PORTS_FREED, m -> freed.add(m.body()));
    String[] id = new String[1];
    int[] allocated = new int[1];
    sbx.connect(vertx, "n1", 10)
        .compose(v -> stack.session(key))
        .compose(
            s -> {
              id[0] = s;
              return stack.post(
                  "/api/v1/sessions/" + s + "/expose", key, new JsonObject().put("port", 8080));
            })
        .compose(
            exposed -> {
              allocated[0] = exposed.bodyAsJsonObject().getInteger("allocated_port");
              return stack.delete("/api/v1/sessions/" + id[0], key);
            })
        .compose(ended -> Stack.eventually(vertx, () -> !freed.isEmpty()).map(ended))
        .compose(
            ended -> {
              ctx.verify(
                  () -> {
                    assertThat(ended.statusCode()).isEqualTo(200);
                    assertThat(ended.bodyAsJsonObject().getString("status")).isEqualTo("ended");
                    assertThat(ended.bodyAsJsonObject().getString("ended_at")).isNotNull();
                    assertThat(sbx.commands("container.remove"))
                        .extracting(c -> c.getJsonObject("body").getString("session_id"))
                        .containsExactly(id[0]);
                    assertThat(freed)
                        .singleElement()
                        .satisfies(
                            f -> {
                              assertThat(f.getInteger("port")).isEqualTo(allocated[0]);
                              assertThat(f.getString("session_id")).isEqualTo(id[0]);
                              assertThat(f.getInteger("target_port")).isEqualTo(8080);
                              assertThat(f.getString("protocol")).isEqualTo("http");
                            });
                  });
              return stack.n(
                  "SELECT (SELECT count(*) FROM exposures WHERE session_id = '"
                      + id[0]
                      + "') + (SELECT count(*) FROM port_allocations WHERE session_id = '"
                      + id[0]
                      + "')");
            })
        .compose(
            left -> {
              ctx.verify(() -> assertThat(left).isZero());
              return stack.get("/api/v1/sessions/" + id[0], key);
            })
        .compose(
            again -> {
              ctx.verify(
                  () ->
                      assertThat(again.bodyAsJsonObject().getString("status")).isEqualTo("ended"));
              return stack.delete("/api/v1/sessions/" + id[0], key);
            })
        .onComplete(
            ctx.succeeding(
                twice ->
                    ctx.verify(
                        () -> {
                          assertThat(twice.statusCode()).isEqualTo(409);
                          assertThat(Stack.error(twice)).isEqualTo("conflict");
                          assertThat(sbx.commands("container.remove")).hasSize(1);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "With no sandbox connected, creating a session is a 503 that says so, and stores nothing")
  void noSandbox(VertxTestContext ctx) {
    long[] before = new long[1];
    stack
        .n("SELECT count(*) FROM sessions")
        .compose(
            n -> {
              before[0] = n;
              return stack.post("/api/v1/sessions", key, new JsonObject());
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(503);
                    assertThat(Stack.error(r)).isEqualTo("unavailable");
                    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
                        .contains("no sandbox is connected");
                  });
              return stack.n("SELECT count(*) FROM sessions");
            })
        .onComplete(
            ctx.succeeding(
                after ->
                    ctx.verify(
                        () -> {
                          assertThat(after).isEqualTo(before[0]);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Sessions go to the least loaded sandbox, and a full house is a 503 naming capacity")
  void leastLoaded(Vertx vertx, VertxTestContext ctx) {
    FakeSandbox one = new FakeSandbox("sbx-one");
    FakeSandbox two = new FakeSandbox("sbx-two");
    one.connect(vertx, "n1", 2)
        .compose(v -> two.connect(vertx, "n1", 2))
        .compose(v -> stack.session(key))
        .compose(v -> stack.session(key))
        .compose(v -> stack.session(key))
        .compose(v -> stack.session(key))
        .compose(v -> stack.post("/api/v1/sessions", key, new JsonObject()))
        .onComplete(
            ctx.succeeding(
                full ->
                    ctx.verify(
                        () -> {
                          assertThat(one.commands("container.create")).hasSize(2);
                          assertThat(two.commands("container.create")).hasSize(2);
                          assertThat(full.statusCode()).isEqualTo(503);
                          assertThat(
                                  full.bodyAsJsonObject()
                                      .getJsonObject("error")
                                      .getString("message"))
                              .contains("capacity");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "A session whose sandbox disconnects is sandbox_lost, and running again when it comes back")
  void sandboxLost(Vertx vertx, VertxTestContext ctx) {
    FakeSandbox sbx = new FakeSandbox("sbx-lost");
    String[] id = new String[1];
    sbx.connect(vertx, "n1", 10)
        .compose(v -> stack.session(key))
        .compose(
            s -> {
              id[0] = s;
              return sbx.disconnect(vertx, "n1");
            })
        .compose(v -> stack.get("/api/v1/sessions/" + id[0], key))
        .compose(
            lost -> {
              ctx.verify(
                  () -> {
                    assertThat(lost.bodyAsJsonObject().getString("status"))
                        .isEqualTo("sandbox_lost");
                    assertThat(lost.bodyAsJsonObject().getString("status_detail"))
                        .contains("sbx-lost");
                  });
              return sbx.connect(vertx, "n1", 10);
            })
        .compose(v -> stack.get("/api/v1/sessions/" + id[0], key))
        .onComplete(
            ctx.succeeding(
                back ->
                    ctx.verify(
                        () -> {
                          assertThat(back.bodyAsJsonObject().getString("status"))
                              .isEqualTo("running");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A privileged session is passed on as such and written to the audit log")
  void privilegedAudited(Vertx vertx, VertxTestContext ctx) {
    FakeSandbox sbx = new FakeSandbox("sbx-priv");
    String[] id = new String[1];
    sbx.connect(vertx, "n1", 10)
        .compose(v -> stack.post("/api/v1/sessions", key, new JsonObject().put("privileged", true)))
        .compose(
            r -> {
              id[0] = r.bodyAsJsonObject().getString("id");
              ctx.verify(
                  () -> {
                    assertThat(r.bodyAsJsonObject().getBoolean("privileged")).isTrue();
                    assertThat(
                            sbx.commands("container.create")
                                .get(0)
                                .getJsonObject("body")
                                .getBoolean("privileged"))
                        .isTrue();
                  });
              return stack.q("SELECT action FROM audit_log WHERE subject = '" + id[0] + "'");
            })
        .onComplete(
            ctx.succeeding(
                actions ->
                    ctx.verify(
                        () -> {
                          assertThat(actions).containsExactly("session.privileged");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "When the sandbox cannot create the container the answer is 502 and the session is failed")
  void createFails(Vertx vertx, VertxTestContext ctx) {
    FakeSandbox sbx = new FakeSandbox("sbx-fail");
    sbx.failCreate = true;
    sbx.connect(vertx, "n1", 10)
        .compose(v -> stack.post("/api/v1/sessions", key, new JsonObject()))
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(502);
                    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
                        .contains("image not found");
                  });
              return stack.q("SELECT status FROM sessions WHERE sandbox_id = 'sbx-fail'");
            })
        .onComplete(
            ctx.succeeding(
                statuses ->
                    ctx.verify(
                        () -> {
                          assertThat(statuses).containsExactly("failed");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "A sandbox recorded as connected but with no tunnel anywhere is skipped: the session lands"
          + " on another")
  void staleSandbox(Vertx vertx, VertxTestContext ctx) {
    FakeSandbox live = new FakeSandbox("sbx-live");
    // 'sbx-ghost' is connected in the database, but nothing answers on its address
    vertx
        .eventBus()
        .request(
            Addresses.REGISTRY_SANDBOX_CONNECTED,
            new JsonObject()
                .put("sandbox_id", "sbx-ghost")
                .put("instance_id", "i")
                .put("node_id", "dead-node")
                .put("capacity", 1000))
        .compose(v -> live.connect(vertx, "n1", 1))
        .compose(v -> stack.post("/api/v1/sessions", key, new JsonObject()))
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(201);
                    assertThat(r.bodyAsJsonObject().getString("sandbox_id")).isEqualTo("sbx-live");
                  });
              return stack.q(
                  "SELECT node_id FROM sandbox_connections WHERE sandbox_id = 'sbx-ghost'");
            })
        .onComplete(
            ctx.succeeding(
                ghost ->
                    ctx.verify(
                        () -> {
                          assertThat(ghost).isEmpty();
                          ctx.completeNow();
                        })));
  }
}
