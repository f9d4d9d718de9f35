package io.porthole.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.common.config.Settings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole path on one node in the all role, with a real PostgreSQL and a real Docker engine: a
 * session's busybox httpd answers through the path, subdomain and allocated-port front doors.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 180, timeUnit = TimeUnit.SECONDS)
class EndToEndTest {

  private static final String ADMIN_KEY = "phk_e2e-admin-key-0123456789abcdef";
  private static final String INDEX = "Hello from a Porthole dev container";

  private Node node;
  private WebClient client;
  private Vertx vertx;
  private String sandboxId;
  private String session;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    client = WebClient.create(vertx);
    sandboxId = "sbx-e2e-" + UUID.randomUUID().toString().substring(0, 8);
    JsonObject config =
        Settings.validate(
            Settings.defaults()
                .put(Settings.ROLE.name(), "all")
                .put(Settings.HTTP_HOST.name(), "127.0.0.1")
                .put(Settings.HTTP_PORT.name(), 0)
                .put(Settings.TUNNEL_PORT.name(), 0)
                .put(Settings.METRICS_PORT.name(), 0)
                .put(Settings.CLUSTER_ENABLED.name(), false)
                .put(Settings.SANDBOX_ID.name(), sandboxId)
                .put(Settings.BOOTSTRAP_ADMIN_KEY.name(), ADMIN_KEY)
                .put(Settings.PG_URL.name(), TestPostgres.freshDatabase().uri()));
    Node.start(config)
        .compose(
            n -> {
              node = n;
              return until(
                  () -> n.vertx().eventBus().request(Addresses.sandboxRoute(sandboxId), null), 200);
            })
        .onComplete(ctx.succeedingThenComplete());
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    Future<Void> end =
        session == null
            ? Future.succeededFuture()
            : client
                .delete(node.httpPort(), "127.0.0.1", "/api/v1/sessions/" + session)
                .bearerTokenAuthentication(ADMIN_KEY)
                .send()
                .mapEmpty();
    end.transform(ar -> node == null ? Future.succeededFuture() : node.stop())
        .transform(ar -> DockerLeftovers.remove(vertx, sandboxId))
        .onComplete(ar -> ctx.completeNow());
  }

  /** Retries {@code attempt} every 100 ms until it succeeds, at most {@code tries} times. */
  private <T> Future<T> until(Supplier<Future<T>> attempt, int tries) {
    return attempt
        .get()
        .recover(
            err ->
                tries <= 1
                    ? Future.failedFuture(err)
                    : vertx.timer(100).compose(t -> until(attempt, tries - 1)));
  }

  private Future<HttpResponse<Buffer>> get(int port, String host, String uri, String key) {
    var req = client.get(port, "127.0.0.1", uri).putHeader("host", host).timeout(10_000);
    if (key != null) {
      req.bearerTokenAuthentication(key);
    }
    return req.send();
  }

  private Future<HttpResponse<Buffer>> ok(int port, String host, String uri, String key) {
    return until(
        () ->
            get(port, host, uri, key)
                .compose(
                    r ->
                        r.statusCode() == 200
                            ? Future.succeededFuture(r)
                            : Future.failedFuture(r.statusCode() + " " + r.bodyAsString())),
        100);
  }

  /** Writes {@code text} on a raw TCP connection and returns what comes back (bounded: 5 s). */
  private Future<String> echo(int port, String text) {
    io.vertx.core.Promise<String> p = io.vertx.core.Promise.promise();
    vertx
        .createNetClient()
        .connect(port, "127.0.0.1")
        .onFailure(p::tryFail)
        .onSuccess(
            sock -> {
              Buffer got = Buffer.buffer();
              long timer = vertx.setTimer(5_000, t -> p.tryFail("no echo within 5 s: " + got));
              sock.handler(
                  b -> {
                    got.appendBuffer(b);
                    if (got.length() >= text.length()) {
                      vertx.cancelTimer(timer);
                      p.tryComplete(got.toString());
                      sock.close();
                    }
                  });
              sock.closeHandler(v -> p.tryFail("closed after " + got.length() + " bytes"));
              sock.write(text);
            });
    return p.future();
  }

  private static Future<Integer> containersOf(Vertx vertx, String session) {
    return vertx.executeBlocking(
        () -> {
          Process p =
              new ProcessBuilder(
                      "docker", "ps", "-a", "-q", "--filter", "label=porthole.session=" + session)
                  .redirectErrorStream(true)
                  .start();
          String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          p.waitFor(30, TimeUnit.SECONDS);
          return (int) out.lines().filter(l -> !l.isBlank()).count();
        });
  }

  @Test
  @DisplayName(
      "A session's port 8080 answers through all three front doors, and ending it removes all")
  void threeFrontDoors(VertxTestContext ctx) {
    int api = node.httpPort();
    String apiHost = "127.0.0.1:" + api;
    JsonObject[] exposure = new JsonObject[1];
    // a web server on 8080, and a raw TCP echo on 9000 for a tcp exposure
    Sessions.create(
            client,
            api,
            "127.0.0.1",
            ADMIN_KEY,
            "/bin/httpd -p 8080 -h /www; exec /bin/nc -ll -p 9000 -e /bin/cat")
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201));
              session = r.bodyAsJsonObject().getString("id");
              return client
                  .post(api, "127.0.0.1", "/api/v1/sessions/" + session + "/expose")
                  .bearerTokenAuthentication(ADMIN_KEY)
                  .sendJsonObject(new JsonObject().put("port", 8080).put("protocol", "http"));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isIn(200, 201));
              exposure[0] = r.bodyAsJsonObject();
              ctx.verify(
                  () -> {
                    assertThat(exposure[0].getString("status")).isEqualTo("active");
                    assertThat(exposure[0].getJsonArray("urls")).hasSizeGreaterThanOrEqualTo(3);
                  });
              // path form
              return ok(api, apiHost, "/api/v1/sessions/" + session + "/proxy/8080/", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.bodyAsString()).contains(INDEX));
              String label = "ses-" + session.substring(4).replace('_', '-') + "-8080";
              return ok(api, label + ".dev.localhost:" + api, "/", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.bodyAsString()).contains(INDEX));
              int allocated = exposure[0].getInteger("allocated_port");
              return ok(allocated, "127.0.0.1:" + allocated, "/", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.bodyAsString()).contains(INDEX));
              // a browser on the subdomain URL: a sign-in link becomes a host-only cookie
              return client
                  .post(
                      api, "127.0.0.1", "/api/v1/sessions/" + session + "/expose/8080/browser-link")
                  .bearerTokenAuthentication(ADMIN_KEY)
                  .send();
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201));
              java.net.URI link = java.net.URI.create(r.bodyAsJsonObject().getString("url"));
              return client
                  .get(api, "127.0.0.1", link.getRawPath() + "?" + link.getRawQuery())
                  .putHeader("host", link.getHost() + ":" + api)
                  .followRedirects(false)
                  .send()
                  .compose(
                      signIn -> {
                        String cookie = signIn.getHeader("set-cookie");
                        ctx.verify(
                            () -> {
                              assertThat(signIn.statusCode()).isEqualTo(302);
                              assertThat(cookie)
                                  .startsWith("porthole_auth=")
                                  .contains("HttpOnly")
                                  .doesNotContainIgnoringCase("domain=");
                            });
                        return client
                            .get(api, "127.0.0.1", "/")
                            .putHeader("host", link.getHost() + ":" + api)
                            .putHeader("cookie", cookie.split(";")[0])
                            .send()
                            .compose(
                                page -> {
                                  ctx.verify(
                                      () -> {
                                        assertThat(page.statusCode()).isEqualTo(200);
                                        assertThat(page.bodyAsString()).contains(INDEX);
                                      });
                                  // a forged link is refused
                                  return client
                                      .get(api, "127.0.0.1", "/__porthole/auth?token=forged.x")
                                      .putHeader("host", link.getHost() + ":" + api)
                                      .followRedirects(false)
                                      .send();
                                });
                      });
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).isEqualTo(401));
              // a share link opens the private exposure to anyone holding it, until revoked
              return client
                  .post(api, "127.0.0.1", "/api/v1/sessions/" + session + "/expose/8080/shares")
                  .bearerTokenAuthentication(ADMIN_KEY)
                  .sendJsonObject(new JsonObject().put("expires_in_s", 3600));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201));
              JsonArray urls = r.bodyAsJsonObject().getJsonArray("urls");
              java.net.URI host = java.net.URI.create(urls.getString(0));
              java.net.URI path = java.net.URI.create(urls.getString(1));
              return get(api, host.getHost() + ":" + api, "/", null)
                  .compose(
                      viaHost -> {
                        ctx.verify(
                            () -> {
                              assertThat(viaHost.statusCode()).isEqualTo(200);
                              assertThat(viaHost.bodyAsString()).contains(INDEX);
                            });
                        return get(
                            api, apiHost, path.getRawPath() + "?" + path.getRawQuery(), null);
                      })
                  .compose(
                      viaPath -> {
                        String cookie = viaPath.getHeader("set-cookie");
                        ctx.verify(
                            () -> {
                              assertThat(viaPath.statusCode()).isEqualTo(200);
                              assertThat(cookie).startsWith("porthole_share=");
                            });
                        // the page's assets come back with the cookie alone
                        return client
                            .get(
                                api,
                                "127.0.0.1",
                                "/api/v1/sessions/" + session + "/proxy/8080/index.html")
                            .putHeader("cookie", cookie.split(";")[0])
                            .send();
                      })
                  .compose(
                      asset -> {
                        ctx.verify(() -> assertThat(asset.statusCode()).isEqualTo(200));
                        return client
                            .delete(
                                api,
                                "127.0.0.1",
                                "/api/v1/sessions/" + session + "/expose/8080/shares")
                            .bearerTokenAuthentication(ADMIN_KEY)
                            .send();
                      })
                  .compose(
                      revoked ->
                          until(
                              () ->
                                  get(api, host.getHost() + ":" + api, "/", null)
                                      .compose(
                                          x ->
                                              x.statusCode() == 404
                                                  ? Future.succeededFuture(x)
                                                  : Future.failedFuture("still " + x.statusCode())),
                              50));
            })
        .compose(
            r -> {
              // a private exposure without a key: 401, and the body names the problem
              return get(api, apiHost, "/api/v1/sessions/" + session + "/proxy/8080/", null);
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(401);
                    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code"))
                        .isEqualTo("unauthorized");
                  });
              return get(
                  api,
                  apiHost,
                  "/api/v1/sessions/" + session + "/proxy/8080/%2e%2e/etc/passwd",
                  ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).isEqualTo(400));
              return get(api, apiHost, "/api/v1/sessions/" + session + "/proxy/9999/", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).isEqualTo(404));
              // a tcp exposure carries raw bytes on its allocated port
              return client
                  .post(api, "127.0.0.1", "/api/v1/sessions/" + session + "/expose")
                  .bearerTokenAuthentication(ADMIN_KEY)
                  .sendJsonObject(new JsonObject().put("port", 9000).put("protocol", "tcp"));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201));
              int tcpPort = r.bodyAsJsonObject().getInteger("allocated_port");
              return until(() -> echo(tcpPort, "raw bytes\n"), 50);
            })
        .compose(
            echoed -> {
              ctx.verify(() -> assertThat(echoed).isEqualTo("raw bytes\n"));
              // the ports one could expose: httpd listens on 8080 inside the container
              return until(
                  () ->
                      get(api, apiHost, "/api/v1/sessions/" + session + "/ports", ADMIN_KEY)
                          .compose(
                              p ->
                                  p.statusCode() == 200
                                          && p.bodyAsJsonObject().getJsonArray("ports").stream()
                                              .anyMatch(
                                                  x -> ((JsonObject) x).getInteger("port") == 8080)
                                      ? Future.succeededFuture(p)
                                      : Future.failedFuture(p.bodyAsString())),
                  50);
            })
        .compose(r -> get(api, apiHost, "/api/v1/sessions/" + session + "/logs?tail=10", ADMIN_KEY))
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
                    assertThat(r.bodyAsJsonObject().getValue("logs")).isInstanceOf(String.class);
                    assertThat(r.bodyAsJsonObject().getBoolean("truncated")).isNotNull();
                  });
              return get(api, apiHost, "/api/v1/sessions/" + session + "/logs?tail=0", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).isEqualTo(400));
              return get(node.metricsPort(), "127.0.0.1", "/metrics", null);
            })
        .compose(
            r -> {
              String metrics = r.bodyAsString();
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    // what operators watch: proxied requests by front door and status, with a
                    // latency histogram; tunnels; allocator usage; event-bus round trips
                    assertThat(metrics)
                        .containsPattern(
                            "porthole_proxy_requests_seconds_count\\{door=\"path\",status=\"200\"\\}"
                                + " [1-9]")
                        .containsPattern(
                            "porthole_proxy_requests_seconds_bucket\\{door=\"port\",status=\"200\",le=")
                        .containsPattern("porthole_tunnels_active [1-9]")
                        .containsPattern("porthole_tunnel_bytes_total\\{direction=\"out\"\\} [1-9]")
                        .containsPattern("porthole_ports_capacity 10001")
                        .containsPattern(
                            "porthole_eventbus_roundtrip_seconds_count\\{outcome=\"ok\"")
                        .contains("vertx_http_server_requests_total");
                  });
              return client
                  .delete(api, "127.0.0.1", "/api/v1/sessions/" + session)
                  .bearerTokenAuthentication(ADMIN_KEY)
                  .send();
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isBetween(200, 204));
              return containersOf(vertx, session);
            })
        .onComplete(
            ctx.succeeding(
                n ->
                    ctx.verify(
                        () -> {
                          assertThat(n).isZero();
                          session = null;
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "The container's status, and its output followed as it comes: streamed in pieces, in order,"
          + " bounded in time and bytes")
  void containerStatusAndFollowedLogs(VertxTestContext ctx) {
    int api = node.httpPort();
    String apiHost = "127.0.0.1:" + api;
    List<Long> arrivals = new ArrayList<>();
    Buffer followed = Buffer.buffer();
    long[] started = {0};
    // ten lines a second for a minute, then quiet
    Sessions.create(
            client,
            api,
            "127.0.0.1",
            ADMIN_KEY,
            "i=0; while [ $i -lt 600 ]; do echo tick $i; i=$((i+1)); sleep 0.1;"
                + " done; exec sleep 3600")
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201));
              session = r.bodyAsJsonObject().getString("id");
              return ok(api, apiHost, "/api/v1/sessions/" + session + "/container", ADMIN_KEY);
            })
        .compose(
            r -> {
              JsonObject c = r.bodyAsJsonObject();
              ctx.verify(
                  () -> {
                    assertThat(c.getString("session_id")).isEqualTo(session);
                    assertThat(c.getBoolean("running")).isTrue();
                    assertThat(c.getString("status")).isEqualTo("running");
                    assertThat(c.getString("ip")).startsWith("10.212.");
                    assertThat(c.getString("container_id")).hasSizeGreaterThan(11);
                  });
              io.vertx.core.http.HttpClient http = vertx.createHttpClient();
              started[0] = System.nanoTime();
              return http.request(
                      io.vertx.core.http.HttpMethod.GET,
                      api,
                      "127.0.0.1",
                      "/api/v1/sessions/" + session + "/logs?follow=true&tail=1&max_seconds=3")
                  .compose(
                      req ->
                          req.putHeader("authorization", "Bearer " + ADMIN_KEY)
                              .send()
                              .compose(
                                  resp -> {
                                    ctx.verify(
                                        () -> {
                                          assertThat(resp.statusCode()).isEqualTo(200);
                                          assertThat(resp.getHeader("content-type"))
                                              .startsWith("text/plain");
                                        });
                                    resp.handler(
                                        b -> {
                                          arrivals.add(System.nanoTime());
                                          followed.appendBuffer(b);
                                        });
                                    return resp.end();
                                  }));
            })
        .compose(
            v -> {
              double seconds = (System.nanoTime() - started[0]) / 1e9;
              List<Integer> ticks =
                  followed
                      .toString()
                      .lines()
                      .map(l -> Integer.parseInt(l.replace("tick ", "").trim()))
                      .toList();
              ctx.verify(
                  () -> {
                    // it followed for about max_seconds, not less, not forever
                    assertThat(seconds).isBetween(2.5, 10.0);
                    // more than the one-line tail: new lines arrived while following, in pieces
                    assertThat(ticks.size()).as(followed.toString()).isGreaterThan(10);
                    assertThat(arrivals.size()).isGreaterThan(2);
                    for (int i = 1; i < ticks.size(); i++) {
                      assertThat(ticks.get(i))
                          .as("no line lost or repeated")
                          .isEqualTo(ticks.get(0) + i);
                    }
                  });
              return get(
                  api,
                  apiHost,
                  "/api/v1/sessions/" + session + "/logs?follow=true&max_bytes=20&max_seconds=30",
                  ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.body().length()).isEqualTo(20);
                  });
              return get(
                  api, apiHost, "/api/v1/sessions/" + session + "/logs?follow=maybe", ADMIN_KEY);
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.statusCode()).isEqualTo(400);
                    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message"))
                        .contains("follow");
                  });
              return get(
                  api, apiHost, "/api/v1/sessions/" + session + "/logs?max_seconds=5", ADMIN_KEY);
            })
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(400);
                          ctx.completeNow();
                        })));
  }
}
