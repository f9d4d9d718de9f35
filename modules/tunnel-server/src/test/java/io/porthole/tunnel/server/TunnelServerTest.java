package io.porthole.tunnel.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.common.config.Settings;
import io.porthole.tunnel.carry.CarryException;
import io.porthole.tunnel.carry.HttpOverTunnel;
import io.porthole.tunnel.carry.StreamTarget;
import io.porthole.tunnel.carry.TcpOverTunnel;
import io.porthole.tunnel.carry.WsOverTunnel;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The API side of tunnels with a real WebSocket, real origins on loopback and a test sandbox. */
@ExtendWith(VertxExtension.class)
class TunnelServerTest {

  private static final String TOKEN = "sbx-token-ok";

  private Vertx vertx;
  private Tunnels tunnels;
  private TunnelServerVerticle server;
  private String deployment;
  private int tunnelPort;
  private final Map<String, SocketAddress> origins = new ConcurrentHashMap<>();
  private final List<TestSandbox> sandboxes = new ArrayList<>();
  private final List<String> registryEvents = new ArrayList<>();
  private HttpServer origin;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.REGISTRY_SANDBOX_AUTHENTICATE,
            msg -> {
              if (TOKEN.equals(msg.body().getString("token"))) {
                msg.reply(new JsonObject().put("sandbox_id", msg.body().getString("sandbox_id")));
              } else {
                msg.fail(ErrorCode.UNAUTHORIZED.code(), "bad token");
              }
            });
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.REGISTRY_SANDBOX_CONNECTED,
            msg -> {
              registryEvents.add("connected " + msg.body().getString("sandbox_id"));
              msg.reply(new JsonObject());
            });
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.REGISTRY_SANDBOX_DISCONNECTED,
            msg -> {
              registryEvents.add("disconnected " + msg.body().getString("sandbox_id"));
              msg.reply(new JsonObject());
            });
    origin = vertx.createHttpServer().requestHandler(this::originHandler);
    origin
        .listen(0, "127.0.0.1")
        .compose(o -> deployServer(0, 2_000))
        .onComplete(ctx.succeedingThenComplete());
  }

  private Future<Void> deployServer(int port, long graceMs) {
    return deployServer(port, graceMs, Settings.TUNNEL_MAX_STREAMS.intIn(Settings.defaults()));
  }

  private Future<Void> deployServer(int port, long graceMs, int maxStreams) {
    tunnels = tunnels == null ? new Tunnels() : tunnels;
    server = new TunnelServerVerticle(tunnels);
    JsonObject config =
        Settings.defaults()
            .put(Settings.NODE_ID.name(), "node-a")
            .put(Settings.HTTP_HOST.name(), "127.0.0.1")
            .put(Settings.TUNNEL_PORT.name(), port)
            .put(Settings.TUNNEL_GRACE_MS.name(), graceMs)
            .put(Settings.TUNNEL_MAX_STREAMS.name(), maxStreams);
    return vertx
        .deployVerticle(server, new DeploymentOptions().setConfig(config))
        .map(
            id -> {
              deployment = id;
              tunnelPort = server.actualPort();
              return null;
            });
  }

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    Future.join(sandboxes.stream().map(TestSandbox::close).toList())
        .onComplete(ar -> ctx.completeNow());
  }

  private void originHandler(HttpServerRequest req) {
    switch (req.path()) {
      case "/hello" -> req.response().putHeader("x-origin", "yes").end("hello " + req.method());
      case "/echo" -> {
        req.response().setChunked(true);
        req.pipeTo(req.response());
      }
      case "/trailers" -> {
        req.response().setChunked(true).putTrailer("x-checksum", "abc123");
        req.response().end("with trailers");
      }
      case "/sse" -> {
        req.response().setChunked(true).putHeader("content-type", "text/event-stream");
        req.response().write("data: first\n\n");
        // the second event only after the client acknowledged the first (see the test)
        vertx.eventBus().consumer("test.sse.next", m -> req.response().end("data: second\n\n"));
      }
      default -> req.response().setStatusCode(404).end();
    }
  }

  private Future<TestSandbox> sandbox(String id, String instance, String token) {
    TestSandbox s = new TestSandbox(vertx, id, instance, origins);
    sandboxes.add(s);
    return s.connect(tunnelPort, token).compose(m -> attached(instance, 100)).map(s);
  }

  /** Waits until the server side has registered the instance's tunnel. */
  private Future<Void> attached(String instance, int tries) {
    return tunnels
        .snapshot()
        .compose(
            list -> {
              if (list.stream().anyMatch(t -> t.getString("instance_id").equals(instance))) {
                return Future.succeededFuture();
              }
              if (tries <= 0) {
                return Future.failedFuture("tunnel of " + instance + " never registered");
              }
              return vertx.timer(20).compose(t -> attached(instance, tries - 1));
            });
  }

  private Future<Void> until(java.util.function.BooleanSupplier cond, int tries) {
    if (cond.getAsBoolean()) {
      return Future.succeededFuture();
    }
    if (tries <= 0) {
      return Future.failedFuture("condition not met in time");
    }
    return vertx.timer(50).compose(t -> until(cond, tries - 1));
  }

  private Future<Void> tunnelsOnNode(int n) {
    Promise<Void> p = Promise.promise();
    poll(n, 100, p);
    return p.future();
  }

  private void poll(int n, int tries, Promise<Void> p) {
    tunnels
        .snapshot()
        .onSuccess(
            list -> {
              if (list.size() == n) {
                p.complete();
              } else if (tries <= 0) {
                p.fail("expected " + n + " tunnels, have " + list);
              } else {
                vertx.setTimer(50, t -> poll(n, tries - 1, p));
              }
            });
  }

  private Future<HttpOverTunnel.Response> http(
      String sandbox,
      String session,
      int port,
      String method,
      String uri,
      ReadStream<Buffer> body) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("host", "example");
    if (body != null) {
      headers.add("transfer-encoding", "chunked");
    }
    return tunnels
        .open(sandbox, StreamTarget.http(session, port, method, uri, headers).encode())
        .compose(stream -> HttpOverTunnel.exchange(stream, body));
  }

  private static Future<String> bodyOf(HttpOverTunnel.Response r) {
    Promise<String> p = Promise.promise();
    Buffer all = Buffer.buffer();
    r.body().handler(all::appendBuffer);
    r.body().endHandler(v -> p.complete(all.toString()));
    r.body().exceptionHandler(p::fail);
    r.body().resume();
    return p.future();
  }

  @Test
  @DisplayName("A wrong or missing token is refused before any stream opens")
  void tokenRefused(VertxTestContext ctx) {
    sandbox("sbx-1", "i1", "wrong-token")
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err.getMessage()).contains("401");
                          tunnels
                              .snapshot()
                              .onComplete(
                                  ctx.succeeding(
                                      list -> {
                                        ctx.verify(() -> assertThat(list).isEmpty());
                                        ctx.completeNow();
                                      }));
                        })));
  }

  @Test
  @DisplayName("An HTTP exchange crosses the tunnel: head, body and headers, GET and POST")
  void httpExchange(VertxTestContext ctx) {
    origins.put("s1:80", SocketAddress.inetSocketAddress(origin.actualPort(), "127.0.0.1"));
    sandbox("sbx-1", "i1", TOKEN)
        .compose(s -> http("sbx-1", "s1", 80, "GET", "/hello", null))
        .compose(
            r -> {
              ctx.verify(
                  () -> {
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.headers().get("x-origin")).isEqualTo("yes");
                  });
              return bodyOf(r);
            })
        .compose(
            body -> {
              ctx.verify(() -> assertThat(body).isEqualTo("hello GET"));
              Buffer big = Buffer.buffer(new byte[3 * 1024 * 1024 + 17]);
              return http("sbx-1", "s1", 80, "POST", "/echo", new OneBuffer(vertx, big));
            })
        .compose(HttpOverTunnelTestSupport::length)
        .onComplete(
            ctx.succeeding(
                len ->
                    ctx.verify(
                        () -> {
                          assertThat(len).isEqualTo(3 * 1024 * 1024 + 17);
                          assertThat(registryEvents).contains("connected sbx-1");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Beyond tunnel.max_streams open streams, a new one fails as unavailable, naming it")
  void streamLimit(VertxTestContext ctx) {
    origins.put("s1:80", SocketAddress.inetSocketAddress(origin.actualPort(), "127.0.0.1"));
    int limit = 16;
    List<HttpOverTunnel.Response> held = new ArrayList<>();
    vertx
        .undeploy(deployment)
        .compose(v -> deployServer(0, 2_000, limit))
        .compose(v -> sandbox("sbx-1", "i1", TOKEN))
        .compose(
            s ->
                Future.all(
                    java.util.stream.IntStream.range(0, limit)
                        .mapToObj(i -> http("sbx-1", "s1", 80, "GET", "/sse", null))
                        .toList()))
        .compose(
            all -> {
              all.<HttpOverTunnel.Response>list().forEach(held::add);
              return http("sbx-1", "s1", 80, "GET", "/hello", null);
            })
        .onComplete(
            ar ->
                ctx.verify(
                    () -> {
                      assertThat(held).hasSize(limit);
                      assertThat(ar.failed()).as("the stream beyond the limit").isTrue();
                      assertThat(ar.cause()).isInstanceOf(PortholeException.class);
                      assertThat(((PortholeException) ar.cause()).code())
                          .isEqualTo(ErrorCode.UNAVAILABLE);
                      assertThat(ar.cause().getMessage()).contains("16 each, tunnel.max_streams");
                      vertx.eventBus().publish("test.sse.next", "go");
                      ctx.completeNow();
                    }));
  }

  @Test
  @DisplayName("Response trailers arrive after the body")
  void trailers(VertxTestContext ctx) {
    origins.put("s1:80", SocketAddress.inetSocketAddress(origin.actualPort(), "127.0.0.1"));
    sandbox("sbx-1", "i1", TOKEN)
        .compose(s -> http("sbx-1", "s1", 80, "GET", "/trailers", null))
        .compose(r -> bodyOf(r).compose(b -> r.trailers().map(t -> b + "|" + t.get("x-checksum"))))
        .onComplete(
            ctx.succeeding(
                s ->
                    ctx.verify(
                        () -> {
                          assertThat(s).isEqualTo("with trailers|abc123");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Server-sent events flow as produced, not when the response ends")
  void sse(VertxTestContext ctx) {
    origins.put("s1:80", SocketAddress.inetSocketAddress(origin.actualPort(), "127.0.0.1"));
    Buffer seen = Buffer.buffer();
    sandbox("sbx-1", "i1", TOKEN)
        .compose(s -> http("sbx-1", "s1", 80, "GET", "/sse", null))
        .onComplete(
            ctx.succeeding(
                r -> {
                  r.body()
                      .handler(
                          b -> {
                            seen.appendBuffer(b);
                            if (seen.toString().equals("data: first\n\n")) {
                              // the origin has not ended: the first event arrived on its own
                              vertx.eventBus().send("test.sse.next", "go");
                            }
                          });
                  r.body()
                      .endHandler(
                          v ->
                              ctx.verify(
                                  () -> {
                                    assertThat(seen.toString())
                                        .isEqualTo("data: first\n\ndata: second\n\n");
                                    ctx.completeNow();
                                  }));
                  r.body().resume();
                }));
  }

  @Test
  @DisplayName("A port that does not listen is a 502 saying so; a refused target a 404")
  void notListeningAndRefused(VertxTestContext ctx) {
    origins.put("s1:81", SocketAddress.inetSocketAddress(1, "127.0.0.1"));
    sandbox("sbx-1", "i1", TOKEN)
        .compose(
            s ->
                http("sbx-1", "s1", 81, "GET", "/", null)
                    .transform(
                        ar -> {
                          ctx.verify(
                              () -> {
                                assertThat(ar.failed()).isTrue();
                                CarryException e = (CarryException) ar.cause();
                                assertThat(e.status()).isEqualTo(502);
                                assertThat(e.getMessage()).contains("not listening");
                              });
                          return http("sbx-1", "other-session", 80, "GET", "/", null);
                        }))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(((CarryException) err).status()).isEqualTo(404);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A WebSocket session crosses the tunnel with text, binary and the close code kept")
  void webSocket(VertxTestContext ctx) {
    HttpServer wsOrigin =
        vertx
            .createHttpServer()
            .webSocketHandler(
                ws -> {
                  ws.textMessageHandler(t -> ws.writeTextMessage("echo:" + t));
                  ws.binaryMessageHandler(b -> ws.writeBinaryMessage(b.appendString("!")));
                });
    WebSocketClient wsClient = vertx.createWebSocketClient();
    HttpServer edge =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  req.pause();
                  // upgrade on the request's own context, bridge on the stream's (as the proxy
                  // does)
                  io.vertx.core.Context edgeContext = vertx.getOrCreateContext();
                  tunnels
                      .open("sbx-1", StreamTarget.ws("s1", 90, req.uri(), req.headers()).encode())
                      .compose(
                          stream ->
                              WsOverTunnel.awaitVerdict(stream)
                                  .map(
                                      acc -> {
                                        io.vertx.core.Context streamContext =
                                            vertx.getOrCreateContext();
                                        edgeContext.runOnContext(
                                            v ->
                                                req.toWebSocket()
                                                    .onSuccess(
                                                        ws -> {
                                                          ws.pause();
                                                          streamContext.runOnContext(
                                                              x -> {
                                                                WsOverTunnel.bridge(
                                                                    ws, acc.reader(), stream);
                                                                ws.resume();
                                                              });
                                                        }));
                                        return acc;
                                      }))
                      .onFailure(err -> req.response().setStatusCode(502).end());
                });
    List<String> got = new ArrayList<>();
    wsOrigin
        .listen(0, "127.0.0.1")
        .compose(
            o -> {
              origins.put("s1:90", SocketAddress.inetSocketAddress(o.actualPort(), "127.0.0.1"));
              return edge.listen(0, "127.0.0.1");
            })
        .compose(e -> sandbox("sbx-1", "i1", TOKEN))
        .compose(s -> wsClient.connect(edge.actualPort(), "127.0.0.1", "/chat"))
        .onComplete(
            ctx.succeeding(
                ws -> {
                  ws.textMessageHandler(
                      t -> {
                        got.add(t);
                        ws.writeBinaryMessage(Buffer.buffer("bin"));
                      });
                  ws.binaryMessageHandler(
                      b -> {
                        got.add(b.toString());
                        ws.close((short) 4001, "bye now");
                      });
                  ws.closeHandler(
                      v ->
                          ctx.verify(
                              () -> {
                                assertThat(got).containsExactly("echo:hi", "bin!");
                                assertThat(ws.closeStatusCode()).isEqualTo((short) 4001);
                                ctx.completeNow();
                              }));
                  ws.writeTextMessage("hi");
                }));
  }

  @Test
  @DisplayName("Raw TCP bytes cross the tunnel both ways")
  void tcp(VertxTestContext ctx) {
    NetServer echo =
        vertx
            .createNetServer()
            .connectHandler(sock -> sock.handler(b -> sock.write(b.appendString("<"))));
    NetServer edge =
        vertx
            .createNetServer()
            .connectHandler(
                (NetSocket sock) -> {
                  sock.pause();
                  tunnels
                      .open("sbx-1", StreamTarget.tcp("s1", 7).encode())
                      .onSuccess(
                          stream -> {
                            TcpOverTunnel.bridge(sock, stream);
                            sock.resume();
                          })
                      .onFailure(err -> sock.close());
                });
    echo.listen(0, "127.0.0.1")
        .compose(
            e -> {
              origins.put("s1:7", SocketAddress.inetSocketAddress(e.actualPort(), "127.0.0.1"));
              return edge.listen(0, "127.0.0.1");
            })
        .compose(e -> sandbox("sbx-1", "i1", TOKEN))
        .compose(s -> vertx.createNetClient().connect(edge.actualPort(), "127.0.0.1"))
        .onComplete(
            ctx.succeeding(
                sock -> {
                  sock.handler(
                      b ->
                          ctx.verify(
                              () -> {
                                assertThat(b.toString()).isEqualTo("ping<");
                                ctx.completeNow();
                              }));
                  sock.write("ping");
                }));
  }

  @Test
  @DisplayName("Any node reaches the sandbox's commands through its event-bus address")
  void control(VertxTestContext ctx) {
    sandbox("sbx-1", "i1", TOKEN)
        .compose(s -> tunnelsOnNode(1))
        .compose(
            v ->
                vertx
                    .eventBus()
                    .<JsonObject>request(
                        Addresses.sandboxControl("sbx-1"),
                        new JsonObject()
                            .put("command", "echo")
                            .put("body", new JsonObject().put("x", 1))))
        .compose(
            reply -> {
              ctx.verify(
                  () ->
                      assertThat(reply.body().getJsonObject("echo").getInteger("x")).isEqualTo(1));
              return vertx
                  .eventBus()
                  .<JsonObject>request(
                      Addresses.sandboxControl("sbx-1"), new JsonObject().put("command", "nope"));
            })
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(((ReplyException) err).failureCode())
                              .isEqualTo(ErrorCode.NOT_FOUND.code());
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "A third tunnel of one sandbox is refused; the same instance replaces its old tunnel")
  void tunnelLimit(VertxTestContext ctx) {
    sandbox("sbx-1", "i1", TOKEN)
        .compose(s -> sandbox("sbx-1", "i2", TOKEN))
        .compose(s -> tunnelsOnNode(2))
        .compose(
            v ->
                sandbox("sbx-1", "i3", TOKEN)
                    .transform(
                        ar -> {
                          ctx.verify(
                              () -> {
                                assertThat(ar.failed()).isTrue();
                                assertThat(ar.cause().getMessage()).contains("409");
                              });
                          return sandbox("sbx-1", "i1", TOKEN);
                        }))
        .compose(s -> until(() -> sandboxes.get(0).mux.isClosed(), 100))
        .compose(v -> tunnelsOnNode(2))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName(
      "While the API node restarts, a new stream waits and succeeds once the sandbox is back")
  void waitsForReconnect(VertxTestContext ctx) {
    origins.put("s1:80", SocketAddress.inetSocketAddress(origin.actualPort(), "127.0.0.1"));
    long[] started = new long[1];
    sandbox("sbx-1", "i1", TOKEN)
        .compose(s -> tunnelsOnNode(1))
        .compose(v -> sandboxes.get(0).mux.close("sandbox restarts its tunnel"))
        .compose(
            v -> {
              started[0] = System.nanoTime();
              Future<HttpOverTunnel.Response> waiting =
                  http("sbx-1", "s1", 80, "GET", "/hello", null);
              vertx.setTimer(300, t -> sandbox("sbx-1", "i1", TOKEN));
              return waiting;
            })
        .compose(HttpOverTunnelTestSupport::text)
        .onComplete(
            ctx.succeeding(
                body ->
                    ctx.verify(
                        () -> {
                          assertThat(body).isEqualTo("hello GET");
                          assertThat(System.nanoTime() - started[0])
                              .isGreaterThan(TimeUnit.MILLISECONDS.toNanos(250));
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Past the grace period, waiting streams fail with 503 and the sandbox's addresses go")
  void graceExpires(VertxTestContext ctx) {
    sandbox("sbx-1", "i1", TOKEN)
        .compose(s -> tunnelsOnNode(1))
        .compose(v -> sandboxes.get(0).mux.close("gone for good"))
        .compose(v -> tunnels.open("sbx-1", StreamTarget.tcp("s1", 7).encode()))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(ErrorCode.of(err)).isEqualTo(ErrorCode.UNAVAILABLE);
                          assertThat(err).isInstanceOf(PortholeException.class);
                          vertx
                              .eventBus()
                              .request(Addresses.sandboxRoute("sbx-1"), null)
                              .onComplete(
                                  ctx.failing(
                                      e2 ->
                                          ctx.verify(
                                              () -> {
                                                assertThat(ErrorCode.of(e2))
                                                    .isEqualTo(ErrorCode.UNAVAILABLE);
                                                until(
                                                        () ->
                                                            registryEvents.contains(
                                                                "disconnected sbx-1"),
                                                        40)
                                                    .onComplete(ctx.succeedingThenComplete());
                                              })));
                        })));
  }

  @Test
  @DisplayName("The route address names the node holding the tunnel")
  void route(VertxTestContext ctx) {
    sandbox("sbx-1", "i1", TOKEN)
        .compose(s -> tunnelsOnNode(1))
        .compose(v -> vertx.eventBus().<JsonObject>request(Addresses.sandboxRoute("sbx-1"), null))
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.body().getString("node_id")).isEqualTo("node-a");
                          ctx.completeNow();
                        })));
  }
}
