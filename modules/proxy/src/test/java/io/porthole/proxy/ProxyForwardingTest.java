package io.porthole.proxy;

import static io.porthole.proxy.ProxyFixture.ALICE_KEY;
import static io.porthole.proxy.ProxyFixture.BOB_KEY;
import static io.porthole.proxy.ProxyFixture.DOMAIN;
import static io.porthole.proxy.ProxyFixture.NOT_CLAIMED;
import static io.porthole.proxy.ProxyFixture.path;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What the proxy does to requests and responses on the path, subdomain and named front doors. */
@ExtendWith(VertxExtension.class)
class ProxyForwardingTest {

  static final String ALPHA = "ses_alpha1";
  static final String BETA = "ses_beta2";
  static final Buffer PNG = png();

  private ProxyFixture fx;
  private final AtomicInteger betaHits = new AtomicInteger();

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    fx = new ProxyFixture(vertx);
    fx.start().onComplete(ctx.succeedingThenComplete());
  }

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    fx.stop().onComplete(ar -> ctx.completeNow());
  }

  private static Buffer png() {
    byte[] b = new byte[64 * 1024 + 7];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 31 + (i >> 8));
    }
    b[0] = (byte) 0x89;
    return Buffer.buffer(b);
  }

  /** A small single-page app. */
  static void app(HttpServerRequest req) {
    var resp = req.response();
    switch (req.path()) {
      case "/" ->
          resp.putHeader("content-type", "text/html")
              .end(
                  "<!doctype html><html><head><link rel=\"stylesheet\" href=\"style.css\">"
                      + "<script src=\"app.js\"></script></head><body><img src=\"logo.png\">"
                      + "<a href=\"/go-login\">login</a></body></html>");
      case "/app.js" ->
          resp.putHeader("content-type", "text/javascript").end("console.log('alpha app');");
      case "/style.css" -> resp.putHeader("content-type", "text/css").end("body{color:red}");
      case "/logo.png" -> resp.putHeader("content-type", "image/png").end(PNG);
      case "/go-login" -> resp.setStatusCode(302).putHeader("location", "/login").end();
      case "/go-local" ->
          resp.setStatusCode(302)
              .putHeader("location", "http://localhost:3000/dashboard?x=1")
              .end();
      case "/cookie" ->
          resp.putHeader(
                  "set-cookie", List.<String>of("sid=1; Path=/", "pref=a; Domain=evil.example"))
              .end("cookie set");
      case "/headers" -> {
        JsonObject h = new JsonObject();
        req.headers()
            .names()
            .forEach(n -> h.put(n.toLowerCase(), new JsonArray(req.headers().getAll(n))));
        resp.putHeader("content-type", "application/json").end(h.encode());
      }
      case "/login" -> resp.end("login page");
      default -> resp.setStatusCode(404).end("app 404");
    }
  }

  private RequestOptions keyed(RequestOptions o, String key) {
    return o.putHeader("authorization", "Bearer " + key);
  }

  @Test
  @DisplayName(
      "A single-page app works through the path form: page, scripts, styles, images, relative"
          + " links, redirects and cookies under the prefix")
  void singlePageApp(VertxTestContext ctx) {
    String prefix = path(ALPHA, 3000, "");
    fx.origin(ProxyForwardingTest::app)
        .compose(
            a -> {
              fx.expose(ALPHA, 3000, "web", "private", a);
              return fx.send(keyed(fx.get(prefix), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    // without the slash, relative links would resolve outside the prefix
                    assertThat(r.status()).isIn(301, 308);
                    assertThat(r.headers().get("location")).isEqualTo(prefix + "/");
                  });
              return fx.send(keyed(fx.get(prefix + "/"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.headers().get("content-type")).isEqualTo("text/html");
                    assertThat(r.text()).contains("src=\"app.js\"", "href=\"style.css\"");
                  });
              // what a browser does with the relative links of prefix + "/"
              return fx.send(keyed(fx.get(prefix + "/app.js"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.headers().get("content-type")).isEqualTo("text/javascript");
                    assertThat(r.text()).isEqualTo("console.log('alpha app');");
                  });
              return fx.send(keyed(fx.get(prefix + "/style.css"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.headers().get("content-type")).isEqualTo("text/css");
                    assertThat(r.text()).isEqualTo("body{color:red}");
                  });
              return fx.send(keyed(fx.get(prefix + "/logo.png"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.headers().get("content-type")).isEqualTo("image/png");
                    assertThat(r.body().getBytes()).isEqualTo(PNG.getBytes());
                  });
              return fx.send(keyed(fx.get(prefix + "/go-login"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(302);
                    assertThat(r.headers().get("location")).isEqualTo(prefix + "/login");
                  });
              return fx.send(keyed(fx.get(prefix + "/go-local"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(
                  () ->
                      assertThat(r.headers().get("location")).isEqualTo(prefix + "/dashboard?x=1"));
              return fx.send(keyed(fx.get(prefix + "/cookie"), ALICE_KEY));
            })
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () ->
                          assertThat(r.headers().getAll("set-cookie"))
                              .containsExactlyInAnyOrder(
                                  "sid=1; Path=" + prefix + "/", "pref=a; Path=" + prefix + "/"));
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName(
      "The origin learns who asked (X-Forwarded-*, Forwarded, X-Forwarded-Prefix) but never sees"
          + " Porthole's key or cookie; an app's own Authorization reaches it")
  void requestHeaders(VertxTestContext ctx) {
    fx.origin(ProxyForwardingTest::app)
        .compose(
            a -> {
              fx.expose(ALPHA, 3000, "web", "private", a);
              fx.expose(ALPHA, 3001, null, "public", a);
              return fx.send(
                  keyed(fx.get(path(ALPHA, 3000, "/headers?q=1")), ALICE_KEY)
                      .putHeader("cookie", "theme=dark; porthole_auth=secret; lang=en")
                      .putHeader("x-porthole-internal", "forged")
                      .putHeader("x-forwarded-for", "6.6.6.6"));
            })
        .compose(
            r -> {
              JsonObject h = r.json();
              String hostPort = "127.0.0.1:" + fx.apiPort();
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(h.containsKey("authorization")).isFalse();
                    assertThat(h.getJsonArray("cookie")).containsExactly("theme=dark; lang=en");
                    assertThat(h.containsKey("x-porthole-internal")).isFalse();
                    assertThat(h.getJsonArray("x-forwarded-prefix"))
                        .containsExactly(path(ALPHA, 3000, ""));
                    // the client is not a trusted proxy: its X-Forwarded-For is replaced
                    assertThat(h.getJsonArray("x-forwarded-for")).containsExactly("127.0.0.1");
                    assertThat(h.getJsonArray("x-forwarded-proto")).containsExactly("http");
                    assertThat(h.getJsonArray("x-forwarded-host")).containsExactly(hostPort);
                    assertThat(h.getJsonArray("forwarded"))
                        .containsExactly("for=127.0.0.1;proto=http;host=\"" + hostPort + "\"");
                    assertThat(h.getJsonArray("host")).containsExactly(hostPort);
                  });
              return fx.send(
                  fx.get(path(ALPHA, 3001, "/headers"))
                      .putHeader("authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"));
            })
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () ->
                          assertThat(r.json().getJsonArray("authorization"))
                              .containsExactly("Basic YWxhZGRpbjpvcGVuc2VzYW1l"));
                  ctx.completeNow();
                }));
  }

  private RequestOptions onHost(String host, String uri) {
    return fx.get(uri).setHost(host);
  }

  @Test
  @DisplayName(
      "Subdomain and named hosts reach their exposure; a host naming another session never shows"
          + " its content; hosts outside the domain are not the proxy's")
  void subdomains(VertxTestContext ctx) {
    String alphaHost = "ses-alpha1-3000." + DOMAIN;
    fx.origin(ProxyForwardingTest::app)
        .compose(
            a ->
                fx.origin(
                        req -> {
                          betaHits.incrementAndGet();
                          req.response().end("beta secret");
                        })
                    .map(
                        b -> {
                          fx.expose(ALPHA, 3000, "web", "private", a);
                          fx.expose(BETA, 3000, "web", "private", b).put("owner", "bob");
                          return null;
                        }))
        .compose(v -> fx.send(keyed(onHost(alphaHost, "/headers"), ALICE_KEY)))
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(200);
                    JsonObject h = r.json();
                    assertThat(h.getJsonArray("host"))
                        .containsExactly(alphaHost + ":" + fx.apiPort());
                    assertThat(h.containsKey("x-forwarded-prefix")).isFalse();
                  });
              return fx.send(keyed(onHost(alphaHost, "/go-login"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.headers().get("location")).isEqualTo("/login"));
              return fx.send(keyed(onHost("p3000-ses-alpha1." + DOMAIN, "/app.js"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.text()).isEqualTo("console.log('alpha app');"));
              return fx.send(keyed(onHost("web-ses-alpha1." + DOMAIN, "/style.css"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.text()).isEqualTo("body{color:red}"));
              // alice's key on bob's session: as if it did not exist
              return fx.send(keyed(onHost("ses-beta2-3000." + DOMAIN, "/"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(404);
                    assertThat(r.text()).doesNotContain("beta secret");
                  });
              return fx.send(onHost("ses-beta2-3000." + DOMAIN, "/"));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(401);
                    assertThat(r.text()).doesNotContain("beta secret");
                  });
              return fx.send(keyed(onHost("ses-nosuch9-3000." + DOMAIN, "/"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.status()).isEqualTo(404));
              return fx.send(keyed(onHost("example.com", "/"), ALICE_KEY));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.text()).isEqualTo(NOT_CLAIMED));
              return fx.send(
                  keyed(onHost("ses-alpha1-3000." + DOMAIN + ".evil.com", "/"), ALICE_KEY));
            })
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () -> {
                        assertThat(r.text()).isEqualTo(NOT_CLAIMED);
                        assertThat(betaHits.get()).isZero();
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName(
      "Visibility: private needs the owner's (or an admin's) key, someone else's is a 404;"
          + " authenticated takes any valid key; public none")
  void visibility(VertxTestContext ctx) {
    fx.origin(ProxyForwardingTest::app)
        .compose(
            a -> {
              fx.expose(ALPHA, 3000, null, "private", a);
              fx.expose(ALPHA, 3001, null, "authenticated", a);
              fx.expose(ALPHA, 3002, null, "public", a);
              return fx.send(fx.get(path(ALPHA, 3000, "/login")));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(401);
                    assertThat(r.headers().get("content-type")).isEqualTo("application/json");
                    assertThat(r.json().getJsonObject("error").getString("code"))
                        .isEqualTo("unauthorized");
                    assertThat(r.json().getJsonObject("error").getString("request_id"))
                        .isNotBlank();
                  });
              return fx.send(keyed(fx.get(path(ALPHA, 3000, "/login")), BOB_KEY));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(404);
                    assertThat(r.text()).doesNotContain("login page");
                  });
              return fx.send(keyed(fx.get(path(ALPHA, 3000, "/login")), "phk_forged"));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.status()).isEqualTo(401));
              return fx.send(keyed(fx.get(path(ALPHA, 3000, "/login")), ProxyFixture.ADMIN_KEY));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.text()).isEqualTo("login page"));
              return fx.send(keyed(fx.get(path(ALPHA, 3001, "/login")), BOB_KEY));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.text()).isEqualTo("login page"));
              return fx.send(fx.get(path(ALPHA, 3001, "/login")));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.status()).isEqualTo(401));
              return fx.send(fx.get(path(ALPHA, 3002, "/login")));
            })
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(() -> assertThat(r.text()).isEqualTo("login page"));
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName(
      "CORS: an allowlist preflight is answered 204 without a key for an allowed origin and 403"
          + " for another; in passthrough the app answers")
  void cors(VertxTestContext ctx) {
    AtomicInteger appPreflights = new AtomicInteger();
    fx.origin(
            req -> {
              if (req.method() == HttpMethod.OPTIONS) {
                appPreflights.incrementAndGet();
                req.response()
                    .setStatusCode(200)
                    .putHeader("access-control-allow-origin", "https://from-app.example")
                    .putHeader("x-answered-by", "app")
                    .end();
              } else {
                req.response().end("ok");
              }
            })
        .compose(
            a -> {
              fx.expose(ALPHA, 3000, null, "private", a)
                  .getJsonObject("policy")
                  .getJsonObject("cors")
                  .put("mode", "allowlist")
                  .put("allowed_origins", new JsonArray().add("https://ui.example"));
              fx.expose(ALPHA, 3001, null, "public", a);
              return fx.send(preflight(path(ALPHA, 3000, "/api"), "https://ui.example"));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(204);
                    assertThat(r.headers().get("access-control-allow-origin"))
                        .isEqualTo("https://ui.example");
                    assertThat(r.headers().get("access-control-allow-methods")).contains("PUT");
                    assertThat(r.headers().get("access-control-allow-headers"))
                        .isEqualTo("content-type");
                  });
              return fx.send(preflight(path(ALPHA, 3000, "/api"), "https://evil.example"));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(403);
                    assertThat(r.headers().get("access-control-allow-origin")).isNull();
                    assertThat(r.json().getJsonObject("error").getString("code"))
                        .isEqualTo("cors_origin_not_allowed");
                  });
              return fx.send(preflight(path(ALPHA, 3001, "/api"), "https://ui.example"));
            })
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () -> {
                        assertThat(r.status()).isEqualTo(200);
                        assertThat(r.headers().get("x-answered-by")).isEqualTo("app");
                        assertThat(appPreflights.get()).isEqualTo(1);
                      });
                  ctx.completeNow();
                }));
  }

  private RequestOptions preflight(String uri, String origin) {
    return fx.request(HttpMethod.OPTIONS, uri)
        .putHeader("origin", origin)
        .putHeader("access-control-request-method", "PUT")
        .putHeader("access-control-request-headers", "content-type");
  }
}
