package io.porthole.proxy;

import static io.porthole.proxy.ProxyFixture.path;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The proxy's error answers: status, JSON or HTML, request id. */
@ExtendWith(VertxExtension.class)
class ProxyErrorsTest {

  static final String SES = "ses_err1";

  private ProxyFixture fx;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    fx = new ProxyFixture(vertx);
    fx.start().onComplete(ctx.succeedingThenComplete());
  }

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    fx.stop().onComplete(ar -> ctx.completeNow());
  }

  @Test
  @DisplayName(
      "A container port that does not listen is a 502 port_not_listening: JSON with a request id"
          + " for API clients, an HTML page for browsers")
  void notListening(VertxTestContext ctx) {
    fx.deadPort()
        .compose(
            dead -> {
              fx.expose(SES, 3000, null, "public", dead);
              return fx.send(fx.get(path(SES, 3000, "/")));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(502);
                    assertThat(r.headers().get("content-type")).isEqualTo("application/json");
                    var error = r.json().getJsonObject("error");
                    assertThat(error.getString("code")).isEqualTo("port_not_listening");
                    assertThat(error.getString("message")).contains("not listening");
                    assertThat(error.getString("request_id"))
                        .isNotBlank()
                        .isEqualTo(r.headers().get("x-request-id"));
                  });
              return fx.send(fx.get(path(SES, 3000, "/")).putHeader("accept", "text/html"));
            })
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () -> {
                        assertThat(r.status()).isEqualTo(502);
                        assertThat(r.headers().get("content-type")).startsWith("text/html");
                        assertThat(r.text())
                            .contains("<html", "not listening", r.headers().get("x-request-id"));
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName("A sandbox that holds no tunnel is a 503 with Retry-After")
  void noTunnel(VertxTestContext ctx) {
    fx.expose(SES, 3000, null, "public", null).put("sandbox_id", "sbx-nobody");
    fx.send(fx.get(path(SES, 3000, "/")))
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () -> {
                        assertThat(r.status()).isEqualTo(503);
                        assertThat(r.headers().get("retry-after")).isEqualTo("2");
                        assertThat(r.json().getJsonObject("error").getString("message"))
                            .contains("sbx-nobody");
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName("An app silent past the exposure's response_header_timeout_ms is a 504")
  void headerTimeout(VertxTestContext ctx) {
    long[] started = new long[1];
    fx.origin(req -> {})
        .compose(
            a -> {
              fx.expose(SES, 3000, null, "public", a)
                  .getJsonObject("policy")
                  .put("response_header_timeout_ms", 500);
              started[0] = System.nanoTime();
              return fx.send(fx.get(path(SES, 3000, "/slow")));
            })
        .onComplete(
            ctx.succeeding(
                r -> {
                  long ms = (System.nanoTime() - started[0]) / 1_000_000;
                  ctx.verify(
                      () -> {
                        assertThat(r.status()).isEqualTo(504);
                        assertThat(r.json().getJsonObject("error").getString("code"))
                            .isEqualTo("timeout");
                        assertThat(ms).isBetween(450L, 3_000L);
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName("An unknown session or port is a 404, and so is an ended session")
  void unknown(VertxTestContext ctx) {
    fx.origin(req -> req.response().end("here"))
        .compose(
            a -> {
              fx.expose(SES, 3000, null, "public", a);
              fx.expose(SES, 3001, null, "public", a).put("session_status", "ended");
              return fx.send(fx.get(path("ses_nosuch", 3000, "/")));
            })
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(404);
                    assertThat(r.json().getJsonObject("error").getString("code"))
                        .isEqualTo("not_found");
                  });
              return fx.send(fx.get(path(SES, 4444, "/")));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.status()).isEqualTo(404));
              return fx.send(fx.get(path(SES, 3001, "/")));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.status()).isEqualTo(404));
              return fx.send(fx.get(path(SES, 99999, "/")));
            })
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(() -> assertThat(r.status()).isEqualTo(400));
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName("An exchange idle past the exposure's idle_timeout_ms is cut, bytes flowing or not")
  void idleTimeout(Vertx vertx, VertxTestContext ctx) {
    long[] cut = new long[1];
    Buffer got = Buffer.buffer();
    fx.origin(
            req -> {
              // the head and a first chunk, then silence
              req.response().setChunked(true).write("first chunk");
            })
        .compose(
            a -> {
              fx.expose(SES, 3000, null, "public", a)
                  .getJsonObject("policy")
                  .put("idle_timeout_ms", 400);
              return vertx
                  .createHttpClient()
                  .request(HttpMethod.GET, fx.apiPort(), "127.0.0.1", path(SES, 3000, "/stream"));
            })
        .compose(HttpClientRequest::send)
        .onComplete(
            ctx.succeeding(
                resp -> {
                  long started = System.nanoTime();
                  resp.handler(got::appendBuffer);
                  // the origin never ends its response: any end of it here is the proxy's cut
                  io.vertx.core.Handler<Void> cutNow =
                      v -> {
                        if (cut[0] != 0) {
                          return;
                        }
                        cut[0] = (System.nanoTime() - started) / 1_000_000;
                        ctx.verify(
                            () -> {
                              assertThat(resp.statusCode()).isEqualTo(200);
                              assertThat(got.toString()).isEqualTo("first chunk");
                              // between one and two idle periods after the last byte
                              assertThat(cut[0]).isBetween(200L, 3_000L);
                            });
                        ctx.completeNow();
                      };
                  resp.exceptionHandler(err -> cutNow.handle(null));
                  resp.endHandler(cutNow);
                }));
  }
}
