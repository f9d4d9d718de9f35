package io.porthole.proxy;

import static io.porthole.proxy.ProxyFixture.path;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Bytes that flow over time: WebSockets, server-sent events, slow clients, disconnects. */
@ExtendWith(VertxExtension.class)
class ProxyStreamingTest {

  static final String SES = "ses_stream1";
  static final String SSE_NEXT = "test.sse.next";

  private ProxyFixture fx;
  private final List<String> originCloses = new CopyOnWriteArrayList<>();
  private final AtomicLong bigEmitted = new AtomicLong();
  private final AtomicBoolean hangSeen = new AtomicBoolean();
  private final AtomicBoolean originSawClose = new AtomicBoolean();

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    fx = new ProxyFixture(vertx);
    fx.start()
        .compose(
            v ->
                fx.origin(
                    vertx
                        .createHttpServer()
                        .requestHandler(this::origin)
                        .webSocketHandler(
                            ws -> {
                              ws.textMessageHandler(
                                  t -> {
                                    if (t.equals("close-me")) {
                                      ws.close((short) 4002, "origin bye");
                                    } else {
                                      ws.writeTextMessage("echo:" + t);
                                    }
                                  });
                              ws.binaryMessageHandler(ws::writeBinaryMessage);
                              ws.closeHandler(
                                  x ->
                                      originCloses.add(
                                          ws.closeStatusCode() + " " + ws.closeReason()));
                            })))
        .onComplete(
            ctx.succeeding(
                a -> {
                  fx.expose(SES, 3000, null, "public", a);
                  ctx.completeNow();
                }));
  }

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    fx.stop().onComplete(ar -> ctx.completeNow());
  }

  private void origin(HttpServerRequest req) {
    var resp = req.response();
    switch (req.path()) {
      case "/events" -> {
        resp.setChunked(true).putHeader("content-type", "text/event-stream");
        resp.write("data: first\n\n");
        var next = fx.vertx.eventBus().consumer(SSE_NEXT);
        next.handler(
            m -> {
              next.unregister();
              resp.end("data: second\n\n");
            });
      }
      case "/big" -> {
        long bytes = Long.parseLong(req.getParam("mib")) * 1024 * 1024;
        GeneratedBody body = new GeneratedBody(Vertx.currentContext(), bytes);
        resp.putHeader("content-length", Long.toString(bytes));
        if ("track".equals(req.getParam("who"))) {
          fx.vertx.setPeriodic(
              10,
              id -> {
                bigEmitted.set(body.emitted());
                if (body.emitted() == bytes || resp.closed()) {
                  fx.vertx.cancelTimer(id);
                }
              });
        }
        body.pipeTo(resp);
      }
      case "/hang" -> {
        req.connection().closeHandler(v -> originSawClose.set(true));
        hangSeen.set(true);
      }
      case "/ticks" -> {
        req.connection().closeHandler(v -> originSawClose.set(true));
        resp.setChunked(true);
        hangSeen.set(true);
        int[] n = {0};
        fx.vertx.setPeriodic(
            50,
            id -> {
              if (resp.closed() || ++n[0] > 400) {
                fx.vertx.cancelTimer(id);
                if (!resp.ended() && !resp.closed()) {
                  resp.end();
                }
              } else {
                resp.write("tick " + n[0] + "\n");
              }
            });
      }
      default -> resp.setStatusCode(404).end();
    }
  }

  private Future<WebSocket> connect() {
    return fx.webSockets()
        .connect(
            new WebSocketConnectOptions()
                .setHost("127.0.0.1")
                .setPort(fx.apiPort())
                .setURI(path(SES, 3000, "/ws")));
  }

  @Test
  @DisplayName(
      "A WebSocket works through the path form: text, binary, ping answered, close codes and"
          + " reasons kept both ways")
  void webSocket(VertxTestContext ctx) {
    List<String> texts = new CopyOnWriteArrayList<>();
    AtomicReference<Buffer> binary = new AtomicReference<>();
    AtomicReference<Buffer> pong = new AtomicReference<>();
    Buffer payload = Buffer.buffer(new byte[70_000]).setInt(0, 0xCAFEBABE).setInt(69_996, 42);
    connect()
        .compose(
            ws -> {
              ws.textMessageHandler(texts::add);
              ws.binaryMessageHandler(binary::set);
              ws.pongHandler(pong::set);
              ws.writeTextMessage("hi");
              ws.writeBinaryMessage(payload);
              ws.writePing(Buffer.buffer("p1"));
              return fx.until(
                      () -> !texts.isEmpty() && binary.get() != null && pong.get() != null, 150)
                  .recover(
                      err ->
                          Future.failedFuture(
                              "texts="
                                  + texts
                                  + " binary="
                                  + (binary.get() != null)
                                  + " pong="
                                  + pong.get()))
                  .compose(
                      v -> {
                        ctx.verify(
                            () -> {
                              assertThat(texts).containsExactly("echo:hi");
                              assertThat(binary.get().getBytes()).isEqualTo(payload.getBytes());
                              assertThat(pong.get().toString()).isEqualTo("p1");
                            });
                        return ws.close((short) 4001, "client bye");
                      });
            })
        .compose(v -> fx.until(() -> !originCloses.isEmpty(), 150))
        .compose(
            v -> {
              ctx.verify(() -> assertThat(originCloses).containsExactly("4001 client bye"));
              return connect();
            })
        .compose(
            ws -> {
              Promise<String> closed = Promise.promise();
              ws.closeHandler(
                  x -> closed.tryComplete(ws.closeStatusCode() + " " + ws.closeReason()));
              ws.writeTextMessage("close-me");
              return closed.future();
            })
        .onComplete(
            ctx.succeeding(
                closed -> {
                  ctx.verify(() -> assertThat(closed).isEqualTo("4002 origin bye"));
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName(
      "Server-sent events flow unbuffered: the client sees the first event before the origin sends"
          + " the second")
  void serverSentEvents(VertxTestContext ctx) {
    StringBuilder seen = new StringBuilder();
    AtomicBoolean signalled = new AtomicBoolean();
    fx.client()
        .request(fx.get(path(SES, 3000, "/events")))
        .compose(r -> r.send())
        .compose(
            resp -> {
              ctx.verify(
                  () -> assertThat(resp.getHeader("content-type")).isEqualTo("text/event-stream"));
              Promise<Void> ended = Promise.promise();
              resp.handler(
                  b -> {
                    seen.append(b);
                    if (!signalled.get() && seen.toString().contains("data: first\n\n")) {
                      ctx.verify(() -> assertThat(seen.toString()).doesNotContain("second"));
                      signalled.set(true);
                      fx.vertx.eventBus().publish(SSE_NEXT, "go");
                    }
                  });
              resp.endHandler(ended::tryComplete);
              resp.exceptionHandler(ended::tryFail);
              return ended.future();
            })
        .onComplete(
            ctx.succeeding(
                v -> {
                  ctx.verify(
                      () -> {
                        assertThat(signalled.get()).isTrue();
                        assertThat(seen.toString()).isEqualTo("data: first\n\ndata: second\n\n");
                      });
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName(
      "A client that stops reading holds back only its own response: another client's download on"
          + " the same exposure completes meanwhile")
  void slowClient(VertxTestContext ctx) {
    AtomicReference<HttpClientResponse> slow = new AtomicReference<>();
    long slowBytes = 64L * 1024 * 1024;
    AtomicLong slowGot = new AtomicLong();
    fx.client()
        .request(fx.get(path(SES, 3000, "/big?mib=64&who=track")))
        .compose(r -> r.send())
        .compose(
            resp -> {
              resp.pause();
              slow.set(resp);
              resp.handler(b -> slowGot.addAndGet(b.length()));
              // let the pipeline fill up behind the paused client
              return fx.until(() -> bigEmitted.get() > 0, 100).compose(v -> fx.vertx.timer(300));
            })
        .compose(v -> fx.send(fx.get(path(SES, 3000, "/big?mib=8"))))
        .compose(
            fast -> {
              ctx.verify(
                  () -> {
                    assertThat(fast.status()).isEqualTo(200);
                    assertThat(fast.body().length()).isEqualTo(8 * 1024 * 1024);
                    // back-pressure reached the origin: it could not push everything out
                    assertThat(bigEmitted.get()).isLessThan(48L * 1024 * 1024);
                  });
              Promise<Void> done = Promise.promise();
              slow.get().endHandler(done::tryComplete);
              slow.get().exceptionHandler(done::tryFail);
              slow.get().resume();
              return done.future();
            })
        .onComplete(
            ctx.succeeding(
                v -> {
                  ctx.verify(() -> assertThat(slowGot.get()).isEqualTo(slowBytes));
                  ctx.completeNow();
                }));
  }

  @Test
  @DisplayName("A client that disconnects while the app thinks cancels the app's request")
  void disconnectBeforeHead(VertxTestContext ctx) {
    disconnect(ctx, "/hang", false);
  }

  @Test
  @DisplayName("A client that disconnects mid-response cancels the app's request")
  void disconnectMidBody(VertxTestContext ctx) {
    disconnect(ctx, "/ticks", true);
  }

  private void disconnect(VertxTestContext ctx, String uri, boolean awaitBody) {
    Buffer got = Buffer.buffer();
    fx.raw()
        .compose(
            sock -> {
              sock.handler(got::appendBuffer);
              sock.write("GET " + path(SES, 3000, uri) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
              return fx.until(
                      () -> hangSeen.get() && (!awaitBody || got.toString().contains("tick 1")),
                      150)
                  .compose(v -> sock.close());
            })
        .compose(v -> fx.until(originSawClose::get, 100))
        .onComplete(ctx.succeedingThenComplete());
  }
}
