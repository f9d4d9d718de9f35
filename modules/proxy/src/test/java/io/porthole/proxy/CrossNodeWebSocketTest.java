package io.porthole.proxy;

import static io.porthole.proxy.ProxyFixture.path;
import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebSockets and waiting requests across the internal hop: an entry node that holds no tunnel hands
 * everything to the node that does ({@link ProxyFixture#startEntryNode}), all on loopback.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
class CrossNodeWebSocketTest {

  private static final Logger log = LoggerFactory.getLogger(CrossNodeWebSocketTest.class);
  private static final String SESSION = "ses_hop1";
  private static final String HANDSHAKE =
      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

  private ProxyFixture fx;
  private Vertx vertx;
  private WebSocketClient webSockets;
  private HttpClient http;
  private NetClient raw;

  /** What the target (the app in the container) sees: its open connections, and WebSockets. */
  private final Set<String> openAtTarget = ConcurrentHashMap.newKeySet();

  private final Set<String> webSocketsAtTarget = ConcurrentHashMap.newKeySet();

  private final AtomicInteger handshakes = new AtomicInteger();
  private final AtomicInteger lateRequests = new AtomicInteger();
  private final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
  private final List<Integer> closeCodes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    fx = new ProxyFixture(vertx);
    webSockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(500));
    http =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(200));
    raw = vertx.createNetClient();
    fx.start().onComplete(ctx.succeedingThenComplete());
  }

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    held.forEach(r -> r.response().end());
    Future.join(webSockets.close(), http.close(), raw.close())
        .transform(ar -> fx.stop())
        .onComplete(ar -> ctx.completeNow());
  }

  /**
   * The app: WebSockets on any path but {@code /refuse} echo (a message "close-me" makes it close
   * with 4000), accepted after {@code handshakeDelayMs}; {@code /hold} is answered only when the
   * test releases it, {@code /late} counts, anything else says "plain". Its open connections are
   * counted.
   */
  private Future<SocketAddress> target(int port, long handshakeDelayMs) {
    HttpServer server = vertx.createHttpServer();
    server.connectionHandler(
        conn -> {
          String peer = conn.remoteAddress().toString();
          openAtTarget.add(peer);
          // fires for connections that never became a WebSocket
          conn.closeHandler(v -> openAtTarget.remove(peer));
        });
    server.webSocketHandshakeHandler(
        hs -> {
          handshakes.incrementAndGet();
          if (hs.path().equals("/refuse")) {
            hs.reject(403);
            return;
          }
          vertx.setTimer(Math.max(1, handshakeDelayMs), t -> hs.accept().onSuccess(this::echo));
        });
    server.webSocketHandler(ws -> {});
    server.requestHandler(
        req -> {
          switch (req.path()) {
            case "/hold" -> held.add(req);
            case "/late" -> {
              lateRequests.incrementAndGet();
              req.response().end("late");
            }
            default -> req.response().end("plain");
          }
        });
    return fx.origin(server)
        .map(
            at -> {
              fx.expose(SESSION, port, null, "public", at);
              return at;
            });
  }

  private void echo(ServerWebSocket ws) {
    String peer = ws.remoteAddress().toString();
    webSocketsAtTarget.add(peer);
    ws.closeHandler(
        v -> {
          openAtTarget.remove(peer);
          webSocketsAtTarget.remove(peer);
          Short code = ws.closeStatusCode();
          closeCodes.add(code == null ? -1 : code.intValue());
        });
    ws.textMessageHandler(
        text -> {
          if (text.equals("close-me")) {
            ws.close((short) 4000, "bye");
          } else {
            ws.writeTextMessage(text);
          }
        });
  }

  private Future<Void> entry(long hopWaitMs) {
    return fx.startEntryNode(
        new JsonObject().put(Settings.PROXY_HOP_WAIT_TIMEOUT_MS.name(), hopWaitMs));
  }

  private Future<WebSocket> openWebSocket(int port, String rest) {
    return webSockets.connect(
        new WebSocketConnectOptions()
            .setHost("127.0.0.1")
            .setPort(fx.entryPort())
            .setURI(path(SESSION, port, rest)));
  }

  /** Sends {@code text} and completes with the first message back. */
  private static Future<String> roundTrip(WebSocket ws, String text) {
    Promise<String> back = Promise.promise();
    ws.textMessageHandler(back::tryComplete);
    ws.closeHandler(v -> back.tryFail("closed before the echo"));
    ws.writeTextMessage(text);
    return back.future();
  }

  private Future<ProxyFixture.Reply> get(int port, String rest) {
    return http.request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost("127.0.0.1")
                .setPort(fx.entryPort())
                .setURI(path(SESSION, port, rest)))
        .compose(r -> r.send())
        .compose(
            resp ->
                resp.body().map(b -> new ProxyFixture.Reply(resp.statusCode(), resp.headers(), b)));
  }

  /** Polls every 20 ms, at most {@code tries} times, until {@code cond} holds. */
  private Future<Void> until(java.util.function.BooleanSupplier cond, int tries, String what) {
    return fx.until(cond, tries)
        .recover(
            err ->
                Future.failedFuture(
                    what
                        + " did not happen: "
                        + openAtTarget.size()
                        + " connection(s) and "
                        + webSocketsAtTarget.size()
                        + " WebSocket(s) open at the target, "
                        + fx.entryHopStreams()
                        + " hop stream(s) open"));
  }

  @Test
  @DisplayName(
      "100 cross-node WebSockets are open and echo at once, and meanwhile an ordinary cross-node"
          + " request is answered promptly")
  void manyWebSocketsDoNotStarveRequests(VertxTestContext ctx) {
    int count = 100;
    List<WebSocket> sockets = new CopyOnWriteArrayList<>();
    long[] started = new long[2];
    target(8001, 0)
        .compose(at -> entry(10_000))
        .compose(
            v -> {
              started[0] = System.nanoTime();
              List<Future<String>> echoes = new ArrayList<>();
              IntStream.range(0, count)
                  .forEach(
                      i ->
                          echoes.add(
                              openWebSocket(8001, "/ws/" + i)
                                  .compose(
                                      ws -> {
                                        sockets.add(ws);
                                        return roundTrip(ws, "hello " + i);
                                      })));
              return Future.all(echoes).map(all -> all.<String>list());
            })
        .compose(
            echoed -> {
              long openMs = (System.nanoTime() - started[0]) / 1_000_000;
              ctx.verify(
                  () -> {
                    assertThat(echoed).hasSize(count);
                    for (int i = 0; i < count; i++) {
                      assertThat(echoed.get(i)).isEqualTo("hello " + i);
                    }
                    assertThat(fx.entryHopStreams()).isEqualTo(count);
                    assertThat(webSocketsAtTarget).hasSize(count);
                  });
              log.info("{} cross-node WebSockets open and echoed in {} ms", count, openMs);
              started[1] = System.nanoTime();
              return get(8001, "/plain");
            })
        .compose(
            reply -> {
              long requestMs = (System.nanoTime() - started[1]) / 1_000_000;
              log.info(
                  "an ordinary cross-node request with {} WebSockets open took {} ms",
                  count,
                  requestMs);
              ctx.verify(
                  () -> {
                    assertThat(reply.status()).isEqualTo(200);
                    assertThat(reply.text()).isEqualTo("plain");
                    assertThat(requestMs).isLessThan(2_000);
                  });
              // and they all still echo afterwards
              return Future.all(sockets.stream().map(ws -> roundTrip(ws, "again")).toList());
            })
        .compose(
            again -> {
              sockets.forEach(ws -> ws.close());
              return until(
                  () -> webSocketsAtTarget.isEmpty() && fx.entryHopStreams() == 0,
                  500,
                  "every WebSocket closing at the target and on the hop");
            })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName(
      "Clients that give up while their cross-node upgrade waits leave no connection open at the"
          + " target, nor on the hop")
  void givenUpUpgradesLeaveNothingOpen(VertxTestContext ctx) {
    int clients = 10;
    List<NetSocket> given = new CopyOnWriteArrayList<>();
    List<Buffer> answers = new CopyOnWriteArrayList<>();
    // the app takes 1.5 s to accept a handshake: the clients leave after 300 ms
    target(8002, 1_500)
        .compose(at -> entry(10_000))
        .compose(
            v ->
                Future.all(
                    IntStream.range(0, clients)
                        .mapToObj(
                            i ->
                                raw.connect(fx.entryPort(), "127.0.0.1")
                                    .map(
                                        sock -> {
                                          Buffer got = Buffer.buffer();
                                          answers.add(got);
                                          sock.handler(got::appendBuffer);
                                          sock.write(
                                              "GET "
                                                  + path(SESSION, 8002, "/slow/" + i)
                                                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                  + HANDSHAKE);
                                          given.add(sock);
                                          return sock;
                                        }))
                        .toList()))
        .compose(v -> vertx.timer(300))
        .compose(
            t -> {
              ctx.verify(() -> assertThat(answers).allMatch(b -> b.length() == 0));
              given.forEach(NetSocket::close);
              // the upgrades reached the app (it is the slow part), then everything closes
              return until(() -> handshakes.get() == clients, 250, "the app seeing the handshakes");
            })
        .compose(
            v ->
                until(
                    () -> openAtTarget.isEmpty() && fx.entryHopStreams() == 0,
                    400,
                    "nothing left open at the target and on the hop"))
        // settled, not merely passing through zero: still nothing open a moment later
        .compose(v -> vertx.timer(2_000))
        .compose(
            t -> {
              ctx.verify(
                  () -> {
                    assertThat(openAtTarget).isEmpty();
                    assertThat(fx.entryHopStreams()).isZero();
                  });
              return get(8002, "/plain");
            })
        .onComplete(
            ctx.succeeding(
                reply ->
                    ctx.verify(
                        () -> {
                          assertThat(reply.status()).isEqualTo(200);
                          ctx.completeNow();
                        })));
  }

  /** Fills the entry node's pool to the other node: 64 requests the app holds. */
  private Future<List<Future<ProxyFixture.Reply>>> fillPool() {
    List<Future<ProxyFixture.Reply>> holding = new ArrayList<>();
    for (int i = 0; i < InternalHop.POOL_SIZE; i++) {
      holding.add(get(i % 2 == 0 ? 8003 : 8004, "/hold"));
    }
    return until(() -> held.size() == InternalHop.POOL_SIZE, 500, "the pool filling up")
        .map(holding);
  }

  private void release() {
    held.forEach(r -> r.response().end("released"));
    held.clear();
  }

  @Test
  @DisplayName(
      "A request whose client gives up while it waits for a hop connection never reaches the app,"
          + " and the pool keeps working")
  void givenUpRequestNeverReachesTheApp(VertxTestContext ctx) {
    List<Future<ProxyFixture.Reply>> holding = new ArrayList<>();
    target(8003, 0)
        .compose(at -> target(8004, 0))
        .compose(at -> entry(1_500))
        .compose(v -> fillPool())
        .compose(
            h -> {
              holding.addAll(h);
              return raw.connect(fx.entryPort(), "127.0.0.1");
            })
        .compose(
            sock -> {
              sock.write(
                  "GET " + path(SESSION, 8003, "/late") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
              return vertx.timer(300).compose(t -> sock.close());
            })
        .compose(v -> vertx.timer(200))
        .compose(
            t -> {
              // connections free up while the abandoned request still waits in the queue
              release();
              return Future.all(holding);
            })
        .compose(v -> vertx.timer(1_000))
        .compose(
            t -> {
              ctx.verify(
                  () -> {
                    for (Future<ProxyFixture.Reply> r : holding) {
                      assertThat(r.result().status()).isEqualTo(200);
                    }
                    assertThat(lateRequests.get()).isZero();
                  });
              return get(8003, "/plain");
            })
        .onComplete(
            ctx.succeeding(
                reply ->
                    ctx.verify(
                        () -> {
                          assertThat(reply.status()).isEqualTo(200);
                          assertThat(reply.text()).isEqualTo("plain");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "A request that gets no hop connection within proxy.hop_wait_timeout_ms is a JSON 503 with"
          + " Retry-After")
  void waitingIsBounded(VertxTestContext ctx) {
    long[] started = new long[1];
    List<Future<ProxyFixture.Reply>> holding = new ArrayList<>();
    target(8003, 0)
        .compose(at -> target(8004, 0))
        .compose(at -> entry(1_500))
        .compose(v -> fillPool())
        .compose(
            h -> {
              holding.addAll(h);
              started[0] = System.nanoTime();
              return get(8003, "/late");
            })
        .compose(
            reply -> {
              long waitedMs = (System.nanoTime() - started[0]) / 1_000_000;
              log.info("a request with the pool full got its 503 after {} ms", waitedMs);
              ctx.verify(
                  () -> {
                    assertThat(reply.status()).isEqualTo(503);
                    assertThat(reply.headers().get("retry-after")).isEqualTo("1");
                    assertThat(reply.headers().get("content-type")).isEqualTo("application/json");
                    JsonObject error = reply.json().getJsonObject("error");
                    assertThat(error.getString("code")).isEqualTo("unavailable");
                    assertThat(error.getString("message")).contains("1500 ms");
                    assertThat(error.getString("request_id")).isNotBlank();
                    assertThat(waitedMs).isBetween(1_400L, 6_000L);
                    assertThat(lateRequests.get()).isZero();
                  });
              release();
              return Future.all(holding);
            })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName(
      "A browser's handshake (Connection: keep-alive, Upgrade) crosses the hop, and frames flow"
          + " both ways")
  void browserHandshake(VertxTestContext ctx) {
    Buffer got = Buffer.buffer();
    Promise<Void> echoed = Promise.promise();
    boolean[] sent = {false};
    target(8007, 0)
        .compose(at -> entry(10_000))
        .compose(v -> raw.connect(fx.entryPort(), "127.0.0.1"))
        .compose(
            sock -> {
              sock.handler(
                  b -> {
                    got.appendBuffer(b);
                    int head = latin1(got).indexOf("\r\n\r\n");
                    if (head > 0 && !sent[0]) {
                      // switched: a masked text frame "hi" (mask 1,2,3,4)
                      sent[0] = true;
                      sock.write(
                          Buffer.buffer(
                              new byte[] {(byte) 0x81, (byte) 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}));
                    }
                    // the echo: an unmasked text frame "hi" after the 101's head
                    if (head > 0 && got.length() >= head + 4 + 4) {
                      echoed.tryComplete();
                    }
                  });
              sock.write(
                  "GET "
                      + path(SESSION, 8007, "/browser")
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive, Upgrade\r\n"
                      + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      + "Sec-WebSocket-Version: 13\r\n\r\n");
              return echoed
                  .future()
                  .timeout(10, TimeUnit.SECONDS)
                  .recover(err -> Future.failedFuture("no echo; got: " + latin1(got)));
            })
        .onComplete(
            ctx.succeeding(
                v ->
                    ctx.verify(
                        () -> {
                          String text = latin1(got);
                          assertThat(text).startsWith("HTTP/1.1 101");
                          assertThat(text.toLowerCase(Locale.ROOT))
                              .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=");
                          int head = text.indexOf("\r\n\r\n") + 4;
                          assertThat(text.substring(head, head + 4)).isEqualTo("\u0081\u0002hi");
                          ctx.completeNow();
                        })));
  }

  private static String latin1(Buffer b) {
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  @DisplayName(
      "An upgrade the app refuses comes back across the hop with its status and a JSON body, and"
          + " its hop connection closes")
  void refusedUpgrade(VertxTestContext ctx) {
    target(8006, 0)
        .compose(at -> entry(10_000))
        .compose(
            v ->
                http.request(
                    new RequestOptions()
                        .setMethod(HttpMethod.GET)
                        .setHost("127.0.0.1")
                        .setPort(fx.entryPort())
                        .setURI(path(SESSION, 8006, "/refuse"))
                        .putHeader("upgrade", "websocket")
                        .putHeader("connection", "Upgrade")
                        .putHeader("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
                        .putHeader("sec-websocket-version", "13")))
        .compose(r -> r.send())
        .compose(
            resp ->
                resp.body().map(b -> new ProxyFixture.Reply(resp.statusCode(), resp.headers(), b)))
        .compose(
            reply -> {
              ctx.verify(
                  () -> {
                    assertThat(reply.status()).isEqualTo(403);
                    assertThat(reply.json().getJsonObject("error").getString("code"))
                        .isEqualTo("upgrade_rejected");
                    assertThat(reply.headers().get("x-request-id")).isNotBlank();
                  });
              return until(() -> fx.entryHopStreams() == 0, 250, "the hop connection closing");
            })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName(
      "Closing a cross-node WebSocket at the client closes it at the app, with its code, and the"
          + " hop connection; the app closing closes it at the client")
  void closingEitherEndClosesTheOther(VertxTestContext ctx) {
    Promise<Short> clientSawClose = Promise.promise();
    target(8005, 0)
        .compose(at -> entry(10_000))
        .compose(v -> openWebSocket(8005, "/a"))
        .compose(ws -> roundTrip(ws, "one").map(ws))
        .compose(
            ws -> {
              ctx.verify(() -> assertThat(fx.entryHopStreams()).isEqualTo(1));
              ws.close((short) 1000, "done");
              return until(
                  () -> openAtTarget.isEmpty() && fx.entryHopStreams() == 0,
                  250,
                  "the client's close reaching the app and the hop");
            })
        .compose(
            v -> {
              ctx.verify(() -> assertThat(closeCodes).containsExactly(1000));
              return openWebSocket(8005, "/b");
            })
        .compose(
            ws -> {
              ws.closeHandler(v -> clientSawClose.tryComplete(ws.closeStatusCode()));
              ws.writeTextMessage("close-me");
              return clientSawClose.future();
            })
        .compose(
            code -> {
              ctx.verify(() -> assertThat(code).isEqualTo((short) 4000));
              return until(
                  () -> openAtTarget.isEmpty() && fx.entryHopStreams() == 0,
                  250,
                  "the app's close reaching the hop");
            })
        .onComplete(ctx.succeedingThenComplete());
  }
}
