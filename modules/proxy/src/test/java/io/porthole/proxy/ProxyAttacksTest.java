package io.porthole.proxy;

import static io.porthole.proxy.ProxyFixture.path;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Requests crafted to escape the prefix, smuggle a second request past the proxy's checks, or
 * exhaust the parser, sent byte for byte over a raw socket.
 */
@ExtendWith(VertxExtension.class)
class ProxyAttacksTest {

  static final String MINE = "ses_mine1";
  static final String THEIRS = "ses_theirs1";

  private static final java.util.regex.Pattern STATUS =
      java.util.regex.Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

  private ProxyFixture fx;
  private final List<String> mineSaw = new CopyOnWriteArrayList<>();
  private final List<String> theirsSaw = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    fx = new ProxyFixture(vertx);
    fx.start()
        .compose(
            v ->
                fx.origin(
                    req ->
                        req.body()
                            .onSuccess(
                                b -> {
                                  mineSaw.add(req.method() + " " + req.uri() + " " + b.length());
                                  req.response().end("mine " + req.uri());
                                })))
        .compose(
            a -> {
              fx.expose(MINE, 3000, null, "public", a);
              return fx.origin(
                  req -> {
                    theirsSaw.add(req.method() + " " + req.uri());
                    req.response().end("theirs secret");
                  });
            })
        .onComplete(
            ctx.succeeding(
                b -> {
                  fx.expose(THEIRS, 3000, null, "private", b).put("owner", "bob");
                  ctx.completeNow();
                }));
  }

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    fx.stop().onComplete(ar -> ctx.completeNow());
  }

  /** Writes raw bytes and collects what comes back until the server closes or 1 s passes. */
  private Future<String> raw(String request) {
    return fx.raw()
        .compose(
            sock -> {
              Promise<String> done = Promise.promise();
              Buffer got = Buffer.buffer();
              sock.handler(got::appendBuffer);
              sock.closeHandler(v -> done.tryComplete(got.toString()));
              long timer = fx.vertx.setTimer(1_000, t -> done.tryComplete(got.toString()));
              sock.write(request);
              return done.future()
                  .onComplete(
                      ar -> {
                        fx.vertx.cancelTimer(timer);
                        sock.close();
                      });
            });
  }

  private static String statusLines(String raw) {
    StringBuilder out = new StringBuilder();
    java.util.regex.Matcher m = STATUS.matcher(raw);
    while (m.find()) {
      out.append(m.group(1)).append(' ');
    }
    return out.toString().trim();
  }

  @Test
  @DisplayName("Dot segments in the path, plain or percent-encoded, are a 400 the app never sees")
  void dotSegments(VertxTestContext ctx) {
    String host = "Host: 127.0.0.1\r\nConnection: close\r\n";
    raw("GET " + path(MINE, 3000, "/../../" + THEIRS) + " HTTP/1.1\r\n" + host + "\r\n")
        .compose(
            r -> {
              ctx.verify(() -> assertThat(statusLines(r)).isEqualTo("400"));
              return raw(
                  "GET "
                      + path(MINE, 3000, "/a/%2e%2e/%2E%2e/x")
                      + " HTTP/1.1\r\n"
                      + host
                      + "\r\n");
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(statusLines(r)).isEqualTo("400"));
              return raw(
                  "GET /a/..%2f..%5cetc HTTP/1.1\r\nHost: ses-mine1-3000.dev.localhost\r\nConnection: close\r\n\r\n");
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(statusLines(r)).isEqualTo("400"));
              return raw(
                  "GET /./x HTTP/1.1\r\nHost: ses-mine1-3000.dev.localhost\r\nConnection: close\r\n\r\n");
            })
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () -> {
                        assertThat(statusLines(r)).isEqualTo("400");
                        assertThat(r).contains("invalid_request");
                        assertThat(mineSaw).isEmpty();
                        assertThat(theirsSaw).isEmpty();
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName(
      "Content-Length with Transfer-Encoding: the body is read as chunked and the bytes after it"
          + " are a request of their own that passes the proxy's checks: it cannot reach an"
          + " exposure the client may not see")
  void clTe(VertxTestContext ctx) {
    String smuggled =
        "GET " + path(THEIRS, 3000, "/admin") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    String body = "0\r\n\r\n" + smuggled;
    raw("POST "
            + path(MINE, 3000, "/upload")
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
            + body.length()
            + "\r\nTransfer-Encoding: chunked\r\n\r\n"
            + body)
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () -> {
                        // either refused outright, or: one empty upload, then the "smuggled"
                        // request seen and refused by the proxy itself (401: bob's private)
                        assertThat(statusLines(r)).as(r).isIn("400", "200 401");
                        assertThat(mineSaw).isIn(List.of(), List.of("POST /upload 0"));
                        assertThat(theirsSaw).isEmpty();
                        assertThat(r).doesNotContain("theirs secret");
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName(
      "Transfer-Encoding with a lying Content-Length (TE.CL): the chunked body reaches the app"
          + " as one body, never as a second request")
  void teCl(VertxTestContext ctx) {
    String inner =
        "GPOST " + path(THEIRS, 3000, "/x") + " HTTP/1.1\r\nContent-Length: 15\r\n\r\nx=1";
    String body = Integer.toHexString(inner.length()) + "\r\n" + inner + "\r\n0\r\n\r\n";
    raw("POST "
            + path(MINE, 3000, "/upload")
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding:"
            + " chunked\r\n\r\n"
            + body)
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () -> {
                        assertThat(statusLines(r)).isIn("400", "200");
                        assertThat(mineSaw)
                            .isIn(List.of(), List.of("POST /upload " + inner.length()));
                        assertThat(theirsSaw).isEmpty();
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName(
      "Two different Content-Length values are a 400 with a JSON body; the app sees nothing")
  void twoLengths(VertxTestContext ctx) {
    raw("POST "
            + path(MINE, 3000, "/upload")
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\n"
            + "hello"
            + "GET "
            + path(MINE, 3000, "/smuggled")
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () -> {
                        assertThat(statusLines(r)).isEqualTo("400");
                        assertThat(body(r).getJsonObject("error").getString("code"))
                            .isEqualTo("invalid_request");
                        assertThat(mineSaw).isEmpty();
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName("A 64 KiB request header is a 431 with a JSON body naming the problem")
  void hugeHeader(VertxTestContext ctx) {
    raw("GET "
            + path(MINE, 3000, "/")
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
            + "a".repeat(64 * 1024)
            + "\r\n\r\n")
        .onComplete(
            ctx.succeeding(
                r -> {
                  ctx.verify(
                      () -> {
                        assertThat(statusLines(r)).isEqualTo("431");
                        JsonObject error = body(r).getJsonObject("error");
                        assertThat(error.getString("code")).isEqualTo("request_headers_too_large");
                        assertThat(error.getString("message")).contains("header");
                        assertThat(mineSaw).isEmpty();
                      });
                  ctx.completeNow();
                }));
  }

  private static JsonObject body(String raw) {
    return new JsonObject(raw.substring(raw.indexOf("\r\n\r\n") + 4).trim());
  }
}
