package io.porthole.proxy;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-to-node hop for long-lived streams, WebSocket upgrades and raw TCP ({@code CONNECT}):
 * each gets a connection of its own ({@link HttpClientAgent#connect}, which Vert.x never pools), so
 * an open WebSocket holds no connection of the pool that ordinary requests share and any number of
 * them may be open at once (each costs one TCP connection between the two nodes). Getting the
 * connection is bounded in time; a client that leaves meanwhile closes it before a byte is sent,
 * and once bridged, either end closing closes the other end and the hop connection.
 */
final class HopStreams {

  private static final Logger log = LoggerFactory.getLogger(HopStreams.class);

  /** Headers of a refused upgrade's answer that belong to the hop, not to the client. */
  private static final List<String> HOP_BY_HOP =
      List.of("connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer");

  /** The client left before its stream crossed: nothing to answer, nothing to report. */
  static final class ClientGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClientGone() {
      super("the client went away", null, false, false);
    }
  }

  /** No connection to the other node within the bound. */
  static final class HopTimeout extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HopTimeout(String message) {
      super(message, null, false, false);
    }
  }

  /** How an upgrade that did not cross ends: the caller answers the client. */
  interface Failure {
    void handle(HttpServerRequest req, Throwable err);
  }

  /** A connection of this hop, and a future completed when it closed. */
  record Hop(HttpClientConnection conn, Future<Void> closed) {}

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final long waitMs;
  private final AtomicInteger open = new AtomicInteger();

  HopStreams(Vertx vertx, HttpClientAgent client, long waitMs) {
    this.vertx = vertx;
    this.client = client;
    this.waitMs = waitMs;
  }

  /**
   * A connection of its own to {@code node}, within {@code waitMs}; fails with {@link ClientGone}
   * when {@code gone} completes first (a connection that arrives later is closed unused). Once
   * connected, {@code gone} completing closes it.
   */
  Future<Hop> open(SocketAddress node, Future<Void> gone) {
    Promise<Hop> p = Promise.promise();
    long timer =
        vertx.setTimer(
            waitMs,
            t ->
                p.tryFail(
                    new HopTimeout(
                        "no connection to node "
                            + node
                            + " within "
                            + waitMs
                            + " ms (it is slow to accept, or unreachable)")));
    gone.onComplete(v -> p.tryFail(new ClientGone()));
    client
        .connect(new HttpConnectOptions().setServer(node))
        .onComplete(
            ar -> {
              vertx.cancelTimer(timer);
              if (ar.failed()) {
                p.tryFail(ar.cause());
                return;
              }
              HttpClientConnection conn = ar.result();
              Promise<Void> closed = Promise.promise();
              open.incrementAndGet();
              conn.closeHandler(
                  v -> {
                    open.decrementAndGet();
                    closed.tryComplete();
                  });
              if (!p.tryComplete(new Hop(conn, closed.future()))) {
                conn.close();
              }
            });
    return p.future()
        .onSuccess(
            hop -> {
              if (gone.isComplete()) {
                hop.conn().close();
              } else {
                gone.onComplete(v -> hop.conn().close());
              }
            });
  }

  /** Connections of this hop open now (WebSockets and TCP streams, bridged or being set up). */
  int openConnections() {
    return open.get();
  }

  /**
   * Carries a paused WebSocket upgrade to {@code node} with {@code headers}: a 101 is relayed and
   * the two connections spliced; any other answer (a refusal, an error of the other node) is
   * streamed back as it came; a failure before an answer goes to {@code failure}.
   */
  void upgrade(HttpServerRequest req, SocketAddress node, MultiMap headers, Failure failure) {
    Future<Void> gone = departure(req.response());
    open(node, gone)
        .compose(
            hop ->
                hop.conn()
                    .request(
                        new RequestOptions()
                            .setMethod(HttpMethod.GET)
                            .setURI(req.uri())
                            .setHeaders(headers))
                    .compose(HopStreams::connect)
                    .onSuccess(
                        resp -> {
                          // frames right behind the 101 wait here until the splice reads them
                          resp.pause();
                          if (resp.statusCode() == 101) {
                            switchProtocols(req, resp, hop);
                          } else {
                            relayRefusal(req, resp, hop.conn());
                          }
                        })
                    .onFailure(err -> hop.conn().close()))
        .onFailure(
            err -> {
              if (!(err instanceof ClientGone) && !gone.isComplete()) {
                failure.handle(req, err);
              }
            });
  }

  /** Raw TCP to {@code node}: a CONNECT with {@code headers}, then the sockets spliced. */
  Future<Void> tcp(NetSocket sock, SocketAddress node, MultiMap headers) {
    Promise<Void> closed = Promise.promise();
    sock.closeHandler(v -> closed.tryComplete());
    return open(node, closed.future())
        .compose(
            hop ->
                hop.conn()
                    .request(
                        new RequestOptions()
                            .setMethod(HttpMethod.CONNECT)
                            .setURI("/tcp")
                            .setHeaders(headers))
                    .compose(HopStreams::connect)
                    .compose(
                        resp -> {
                          if (resp.statusCode() != 200) {
                            return Future.failedFuture(
                                "node " + node + " answered " + resp.statusCode());
                          }
                          resp.pause();
                          splice(sock, resp.netSocket(), hop);
                          return Future.<Void>succeededFuture();
                        })
                    .onFailure(err -> hop.conn().close()));
  }

  /**
   * Sends the head and waits for the answer; once switched, the end of the connection is the
   * splice's business (the request would otherwise report it as an unhandled failure).
   */
  private static Future<HttpClientResponse> connect(HttpClientRequest request) {
    request.exceptionHandler(err -> log.debug("hop stream: {}", err.toString()));
    return request.connect();
  }

  private static Future<Void> departure(HttpServerResponse resp) {
    Promise<Void> gone = Promise.promise();
    resp.closeHandler(v -> gone.tryComplete());
    if (resp.closed()) {
      gone.tryComplete();
    }
    return gone.future();
  }

  private static void switchProtocols(HttpServerRequest req, HttpClientResponse resp, Hop hop) {
    HttpServerResponse out = req.response();
    out.closeHandler(null);
    if (out.closed()) {
      hop.conn().close();
      return;
    }
    out.setStatusCode(101);
    out.headers().addAll(resp.headers());
    req.resume();
    req.toNetSocket()
        .onSuccess(sock -> splice(sock, resp.netSocket(), hop))
        .onFailure(
            err -> {
              log.debug("upgrade to the client failed: {}", err.toString());
              hop.conn().close();
            });
  }

  /** The other node (or the app) did not switch protocols: its answer goes back as it came. */
  private static void relayRefusal(
      HttpServerRequest req, HttpClientResponse resp, HttpClientConnection conn) {
    HttpServerResponse out = req.response();
    out.setStatusCode(resp.statusCode());
    if (resp.statusMessage() != null && !resp.statusMessage().isEmpty()) {
      out.setStatusMessage(resp.statusMessage());
    }
    out.headers().addAll(resp.headers());
    HOP_BY_HOP.forEach(out.headers()::remove);
    if (!out.headers().contains("content-length")) {
      out.setChunked(true);
    }
    req.resume();
    resp.pipe()
        .to(out)
        .onComplete(
            ar -> {
              conn.close();
              if (ar.failed()) {
                out.reset();
              }
            });
  }

  /**
   * Bytes both ways with back-pressure until either end closes or fails; then both ends and the hop
   * connection close. The client's socket and {@code hop} must be paused.
   */
  private static void splice(NetSocket client, NetSocket remote, Hop hop) {
    HttpConnection conn = hop.conn();
    Runnable closeAll =
        () -> {
          client.close();
          conn.close();
        };
    client.closeHandler(v -> conn.close());
    client.endHandler(v -> conn.close());
    client.exceptionHandler(err -> closeAll.run());
    remote.closeHandler(v -> client.close());
    remote.endHandler(v -> client.close());
    remote.exceptionHandler(err -> closeAll.run());
    hop.closed().onComplete(v -> client.close());
    relay(client, remote);
    relay(remote, client);
    client.resume();
    remote.resume();
  }

  private static void relay(ReadStream<Buffer> from, WriteStream<Buffer> to) {
    from.handler(
        data -> {
          to.write(data);
          if (to.writeQueueFull()) {
            from.pause();
            to.drainHandler(v -> from.resume());
          }
        });
  }
}
