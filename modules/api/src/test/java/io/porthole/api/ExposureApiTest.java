package io.porthole.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.common.config.Settings;
import io.porthole.postgres.PgSettings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class ExposureApiTest {

  private static PgSettings pg;
  private Stack stack;
  private String key;
  private String session;

  @BeforeAll
  static void database() {
    pg = TestPostgres.freshDatabase();
  }

  private static JsonObject config() {
    return Stack.config(pg)
        .put(Settings.API_PUBLIC_URL.name(), "http://porthole.test:8080/")
        .put(Settings.DEV_SUBDOMAIN.name(), "dev.test");
  }

  /** A stack with {@code config}, a connected sandbox, a key for {@code owner} and a session. */
  private Future<Void> setUp(Vertx vertx, JsonObject config, String owner) {
    FakeSandbox sbx = new FakeSandbox("sbx-" + owner);
    return Stack.start(vertx, pg, config)
        .compose(
            s -> {
              stack = s;
              // earlier tests' sandboxes are gone with their Vert.x: forget their tunnels
              return s.q("WITH d AS (DELETE FROM sandbox_connections RETURNING 1) SELECT 1")
                  .compose(v -> sbx.connect(vertx, "n1", 100));
            })
        .compose(v -> stack.keyFor(owner))
        .compose(
            k -> {
              key = k;
              return stack.session(k);
            })
        .map(
            id -> {
              session = id;
              return null;
            });
  }

  private String expose() {
    return "/api/v1/sessions/" + session + "/expose";
  }

  private Future<HttpResponse<Buffer>> expose(JsonObject body) {
    return stack.post(expose(), key, body);
  }

  @Test
  @DisplayName(
      "Exposing a port answers 201 with DESIGN's shape: path, subdomain, named and port URLs,"
          + " a host port announced on porthole.ports.allocated")
  void exposeShape(Vertx vertx, VertxTestContext ctx) {
    List<JsonObject> allocated = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.PORTS_ALLOCATED, m -> allocated.add(m.body()));
    setUp(vertx, config(), "shape")
        .compose(
            v ->
                expose(
                    new JsonObject()
                        .put("port", 8080)
                        .put("protocol", "http")
                        .put("name", "api")
                        .put("visibility", "private")))
        .compose(r -> Stack.eventually(vertx, () -> !allocated.isEmpty()).map(r))
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(201);
                          JsonObject e = r.bodyAsJsonObject();
                          assertThat(e.fieldNames())
                              .contains(
                                  "session_id",
                                  "port",
                                  "protocol",
                                  "name",
                                  "urls",
                                  "allocated_port",
                                  "status");
                          assertThat(e.getString("session_id")).isEqualTo(session);
                          assertThat(e.getInteger("port")).isEqualTo(8080);
                          assertThat(e.getString("protocol")).isEqualTo("http");
                          assertThat(e.getString("name")).isEqualTo("api");
                          assertThat(e.getString("status")).isEqualTo("active");
                          int host = e.getInteger("allocated_port");
                          assertThat(host).isBetween(47000, 47999);
                          String label = session.replace('_', '-');
                          assertThat(e.getJsonArray("urls").getList())
                              .containsExactly(
                                  "http://api-" + label + ".dev.test:8080/",
                                  "http://" + label + "-8080.dev.test:8080/",
                                  "http://porthole.test:8080/api/v1/sessions/"
                                      + session
                                      + "/proxy/8080/",
                                  "http://porthole.test:" + host + "/");
                          for (Object u : e.getJsonArray("urls")) {
                            String h = java.net.URI.create((String) u).getHost();
                            assertThat(h.split("\\.")[0])
                                .hasSizeLessThanOrEqualTo(63)
                                .doesNotContain("_");
                          }
                          assertThat(allocated)
                              .singleElement()
                              .satisfies(
                                  a -> {
                                    assertThat(a.getInteger("port")).isEqualTo(host);
                                    assertThat(a.getString("session_id")).isEqualTo(session);
                                    assertThat(a.getInteger("target_port")).isEqualTo(8080);
                                    assertThat(a.getString("protocol")).isEqualTo("http");
                                  });
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "The same exposure again is 200 with the same exposure; other options are 409 and change"
          + " nothing")
  void idempotent(Vertx vertx, VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("port", 3000).put("name", "web");
    int[] host = new int[1];
    setUp(vertx, config(), "idem")
        .compose(v -> expose(body))
        .compose(
            first -> {
              host[0] = first.bodyAsJsonObject().getInteger("allocated_port");
              ctx.verify(() -> assertThat(first.statusCode()).isEqualTo(201));
              return expose(body.copy().put("visibility", "private"));
            })
        .compose(
            again -> {
              ctx.verify(
                  () -> {
                    assertThat(again.statusCode()).isEqualTo(200);
                    assertThat(again.bodyAsJsonObject().getInteger("allocated_port"))
                        .isEqualTo(host[0]);
                  });
              return expose(body.copy().put("visibility", "public"));
            })
        .compose(
            other -> {
              ctx.verify(
                  () -> {
                    assertThat(other.statusCode()).isEqualTo(409);
                    assertThat(Stack.error(other)).isEqualTo("conflict");
                    assertThat(other.bodyAsJsonObject().getJsonObject("error").getString("message"))
                        .contains("visibility");
                  });
              return stack.q(
                  "SELECT visibility FROM exposures WHERE session_id = '" + session + "'");
            })
        .onComplete(
            ctx.succeeding(
                rows ->
                    ctx.verify(
                        () -> {
                          assertThat(rows).containsExactly("private");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Listing answers {session_id, exposed_ports: [{port, protocol, name, url, status}]}, and a"
          + " name is unique within a session")
  void listAndNames(Vertx vertx, VertxTestContext ctx) {
    setUp(vertx, config(), "list")
        .compose(v -> expose(new JsonObject().put("port", 8080).put("name", "api")))
        .compose(v -> expose(new JsonObject().put("port", 9090)))
        .compose(v -> expose(new JsonObject().put("port", 9091).put("name", "api")))
        .compose(
            dup -> {
              ctx.verify(
                  () -> {
                    assertThat(dup.statusCode()).isEqualTo(409);
                    assertThat(dup.bodyAsJsonObject().getJsonObject("error").getString("message"))
                        .contains("'api'")
                        .contains("8080");
                  });
              return stack.get(expose(), key);
            })
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(200);
                          JsonObject body = r.bodyAsJsonObject();
                          assertThat(body.getString("session_id")).isEqualTo(session);
                          JsonArray ports = body.getJsonArray("exposed_ports");
                          assertThat(ports).hasSize(2);
                          JsonObject first = ports.getJsonObject(0);
                          assertThat(first.fieldNames())
                              .contains("port", "protocol", "name", "url", "status");
                          assertThat(first.getInteger("port")).isEqualTo(8080);
                          assertThat(first.getString("name")).isEqualTo("api");
                          assertThat(first.getString("url"))
                              .isEqualTo(
                                  "http://api-" + session.replace('_', '-') + ".dev.test:8080/");
                          assertThat(first.getString("status")).isEqualTo("active");
                          assertThat(ports.getJsonObject(1).getValue("name")).isNull();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Unexposing answers 204, frees the host port (porthole.ports.freed) and a second time is"
          + " 404")
  void unexpose(Vertx vertx, VertxTestContext ctx) {
    List<JsonObject> freed = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.PORTS_FREED, m -> freed.add(m.body()));
    int[] host = new int[1];
    setUp(vertx, config(), "unexp")
        .compose(v -> expose(new JsonObject().put("port", 5000)))
        .compose(
            r -> {
              host[0] = r.bodyAsJsonObject().getInteger("allocated_port");
              return stack.delete(expose() + "/5000", key);
            })
        .compose(gone -> Stack.eventually(vertx, () -> !freed.isEmpty()).map(gone))
        .compose(
            gone -> {
              ctx.verify(
                  () -> {
                    assertThat(gone.statusCode()).isEqualTo(204);
                    assertThat(freed)
                        .extracting(f -> f.getInteger("port"))
                        .containsExactly(host[0]);
                  });
              return stack.n("SELECT count(*) FROM port_allocations WHERE port = " + host[0]);
            })
        .compose(
            rows -> {
              ctx.verify(() -> assertThat(rows).isZero());
              return stack.delete(expose() + "/5000", key);
            })
        .onComplete(
            ctx.succeeding(
                again ->
                    ctx.verify(
                        () -> {
                          assertThat(again.statusCode()).isEqualTo(404);
                          assertThat(Stack.error(again)).isEqualTo("not_found");
                          assertThat(freed).hasSize(1);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Policy defaults are generous and stored with the exposure; a custom policy round-trips")
  void policy(Vertx vertx, VertxTestContext ctx) {
    JsonObject custom =
        new JsonObject()
            .put("idle_timeout_ms", 30_000)
            .put("response_header_timeout_ms", 0)
            .put("max_body_bytes", 1_048_576)
            .put(
                "cors",
                new JsonObject()
                    .put("mode", "allowlist")
                    .put("allowed_origins", new JsonArray().add("https://app.example.com")))
            .put("host_header", "rewrite");
    setUp(vertx, config(), "policy")
        .compose(v -> expose(new JsonObject().put("port", 1000)))
        .compose(
            plain -> {
              ctx.verify(
                  () ->
                      assertThat(plain.bodyAsJsonObject().getJsonObject("policy"))
                          .isEqualTo(
                              new JsonObject()
                                  .put("idle_timeout_ms", 0)
                                  .put("response_header_timeout_ms", 60_000)
                                  .put("max_body_bytes", 0)
                                  .put(
                                      "cors",
                                      new JsonObject()
                                          .put("mode", "passthrough")
                                          .put("allowed_origins", new JsonArray()))
                                  .put("host_header", "preserve")));
              return expose(
                  new JsonObject()
                      .put("port", 1001)
                      .put("visibility", "public")
                      .put("policy", custom));
            })
        .compose(r -> stack.get(expose() + "/1001", key))
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(200);
                          assertThat(r.bodyAsJsonObject().getJsonObject("policy"))
                              .isEqualTo(custom);
                          assertThat(r.bodyAsJsonObject().getString("visibility"))
                              .isEqualTo("public");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Share links: a 160-bit token shown once and stored hashed, listed without it, resolvable"
          + " by the proxy until revoked")
  void shares(Vertx vertx, VertxTestContext ctx) {
    String[] token = new String[1];
    String[] shareId = new String[1];
    setUp(vertx, config(), "share")
        .compose(v -> expose(new JsonObject().put("port", 8080)))
        .compose(
            v ->
                stack.post(
                    expose() + "/8080/shares", key, new JsonObject().put("expires_in_s", 3600)))
        .compose(
            created -> {
              JsonObject s = created.bodyAsJsonObject();
              token[0] = s.getString("token");
              shareId[0] = s.getString("id");
              ctx.verify(
                  () -> {
                    assertThat(created.statusCode()).isEqualTo(201);
                    assertThat(token[0]).matches("^[0-9a-z]{32}$");
                    assertThat(s.getString("expires_at")).isNotNull();
                    assertThat(s.getJsonArray("urls").getList())
                        .contains("http://sh-" + token[0] + ".dev.test:8080/");
                  });
              return stack.q("SELECT token_hash FROM share_links");
            })
        .compose(
            hashes -> {
              ctx.verify(
                  () -> assertThat(hashes).singleElement().asString().doesNotContain(token[0]));
              return stack.get(expose() + "/8080/shares", key);
            })
        .compose(
            list -> {
              ctx.verify(
                  () -> {
                    JsonObject one =
                        list.bodyAsJsonObject().getJsonArray("shares").getJsonObject(0);
                    assertThat(one.getString("id")).isEqualTo(shareId[0]);
                    assertThat(one.containsKey("token")).isFalse();
                    assertThat(one.getBoolean("active")).isTrue();
                  });
              return vertx
                  .eventBus()
                  .<JsonObject>request(
                      Addresses.REGISTRY_EXPOSURE_RESOLVE,
                      new JsonObject().put("share_token", token[0]));
            })
        .compose(
            resolved -> {
              ctx.verify(
                  () -> {
                    assertThat(resolved.body().getString("session_id")).isEqualTo(session);
                    assertThat(resolved.body().getInteger("port")).isEqualTo(8080);
                    assertThat(resolved.body().getString("owner")).isEqualTo("share");
                  });
              return stack.delete(expose() + "/8080/shares/" + shareId[0], key);
            })
        .compose(
            revoked -> {
              ctx.verify(() -> assertThat(revoked.statusCode()).isEqualTo(204));
              return vertx
                  .eventBus()
                  .<JsonObject>request(
                      Addresses.REGISTRY_EXPOSURE_RESOLVE,
                      new JsonObject().put("share_token", token[0]));
            })
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err.getMessage()).contains("no exposure");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("More exposures than quota.exposures_per_session is 429 with a clear body")
  void exposureQuota(Vertx vertx, VertxTestContext ctx) {
    setUp(vertx, config().put(Settings.QUOTA_EXPOSURES_PER_SESSION.name(), 2), "quota")
        .compose(v -> expose(new JsonObject().put("port", 1)))
        .compose(v -> expose(new JsonObject().put("port", 2)))
        .compose(v -> expose(new JsonObject().put("port", 3)))
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(429);
                    assertThat(Stack.error(r)).isEqualTo("quota_exceeded");
                    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
                        .contains("quota.exposures_per_session");
                  });
              return stack.n("SELECT count(*) FROM exposures WHERE session_id = '" + session + "'");
            })
        .onComplete(
            ctx.succeeding(
                n ->
                    ctx.verify(
                        () -> {
                          assertThat(n).isEqualTo(2);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "More host ports than quota.ports_per_owner (across sessions) is 429, and the exposure is"
          + " not kept")
  void portQuota(Vertx vertx, VertxTestContext ctx) {
    setUp(vertx, config().put(Settings.QUOTA_PORTS_PER_OWNER.name(), 1), "pquota")
        .compose(v -> expose(new JsonObject().put("port", 1)))
        .compose(v -> stack.session(key))
        .compose(
            second ->
                stack.post(
                    "/api/v1/sessions/" + second + "/expose", key, new JsonObject().put("port", 2)))
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(429);
                    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
                        .contains("quota.ports_per_owner");
                  });
              return stack.n(
                  "SELECT count(*) FROM exposures e JOIN sessions s ON s.id = e.session_id"
                      + " WHERE s.owner = 'pquota'");
            })
        .onComplete(
            ctx.succeeding(
                n ->
                    ctx.verify(
                        () -> {
                          assertThat(n).isEqualTo(1);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A range with no port left is a 503 with a clear body, and the exposure is not kept")
  void exhausted(Vertx vertx, VertxTestContext ctx) {
    JsonObject tiny =
        config()
            .put(Settings.PORTS_RANGE_START.name(), 47990)
            .put(Settings.PORTS_RANGE_END.name(), 47990);
    setUp(vertx, tiny, "exhaust")
        .compose(v -> stack.q("WITH d AS (DELETE FROM port_allocations RETURNING 1) SELECT 1"))
        .compose(v -> expose(new JsonObject().put("port", 1)))
        .compose(
            first -> {
              ctx.verify(
                  () ->
                      assertThat(first.bodyAsJsonObject().getInteger("allocated_port"))
                          .isEqualTo(47990));
              return expose(new JsonObject().put("port", 2));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(503);
                    assertThat(Stack.error(r)).isEqualTo("unavailable");
                    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
                        .contains("no free host port");
                  });
              return stack.get(expose(), key);
            })
        .onComplete(
            ctx.succeeding(
                list ->
                    ctx.verify(
                        () -> {
                          assertThat(list.bodyAsJsonObject().getJsonArray("exposed_ports"))
                              .hasSize(1);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "With port mode off there is no host port nor port URL, and a tcp exposure is refused")
  void portModeOff(Vertx vertx, VertxTestContext ctx) {
    setUp(vertx, config().put(Settings.PORTS_ENABLED.name(), false), "noports")
        .compose(v -> expose(new JsonObject().put("port", 8080)))
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(201);
                    assertThat(r.bodyAsJsonObject().containsKey("allocated_port")).isFalse();
                    assertThat(r.bodyAsJsonObject().getJsonArray("urls")).hasSize(2);
                  });
              return expose(new JsonObject().put("port", 5432).put("protocol", "tcp"));
            })
        .onComplete(
            ctx.succeeding(
                tcp ->
                    ctx.verify(
                        () -> {
                          assertThat(tcp.statusCode()).isEqualTo(400);
                          assertThat(
                                  tcp.bodyAsJsonObject()
                                      .getJsonObject("error")
                                      .getString("message"))
                              .contains("port mode");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A tcp exposure gets a host port and a tcp:// URL only")
  void tcp(Vertx vertx, VertxTestContext ctx) {
    setUp(vertx, config(), "tcp")
        .compose(v -> expose(new JsonObject().put("port", 5432).put("protocol", "tcp")))
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(201);
                          int host = r.bodyAsJsonObject().getInteger("allocated_port");
                          assertThat(r.bodyAsJsonObject().getJsonArray("urls").getList())
                              .containsExactly("tcp://porthole.test:" + host);
                          ctx.completeNow();
                        })));
  }
}
