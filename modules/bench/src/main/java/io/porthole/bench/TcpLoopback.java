package io.porthole.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The baseline: direct TCP on loopback with Vert.x, laid out like the tunnel (servers on one event
 * loop, the client on another, TCP_NODELAY on). An echo server serves the short connections and the
 * idle pairs; a counting server is the far end of the throughput runs.
 */
final class TcpLoopback {

  private static final String HOST = "127.0.0.1";

  private final Context clientContext;
  private final Sink sink = new Sink();
  private final AtomicInteger echoConnections = new AtomicInteger();
  private NetServer echoServer;
  private NetServer sinkServer;
  private NetClient client;

  private TcpLoopback(Context clientContext) {
    this.clientContext = clientContext;
  }

  /** Starts both servers on {@code serverContext}; clients connect from {@code clientContext}. */
  static Future<TcpLoopback> start(Vertx vertx, Context serverContext, Context clientContext) {
    TcpLoopback loopback = new TcpLoopback(clientContext);
    loopback.client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
    NetServerOptions options = new NetServerOptions().setHost(HOST).setPort(0).setTcpNoDelay(true);
    return EventLoops.call(
            serverContext,
            () ->
                vertx
                    .createNetServer(options)
                    .connectHandler(loopback::echo)
                    .listen()
                    .compose(
                        echo -> {
                          loopback.echoServer = echo;
                          return vertx
                              .createNetServer(options)
                              .connectHandler(socket -> loopback.sink.accept(socket, () -> {}))
                              .listen();
                        }))
        .map(
            sinkServer -> {
              loopback.sinkServer = sinkServer;
              return loopback;
            });
  }

  /** The event loop clients run on. */
  Context clientContext() {
    return clientContext;
  }

  /** Connects to the echo server (call on the client context). */
  Future<NetSocket> connectEcho() {
    return client.connect(echoServer.actualPort(), HOST);
  }

  /** Connects to the counting server (call on the client context). */
  Future<NetSocket> connectSink() {
    return client.connect(sinkServer.actualPort(), HOST);
  }

  /** Tallies what the counting server received. */
  Sink sink() {
    return sink;
  }

  /** Server-side echo connections still open. */
  int echoConnections() {
    return echoConnections.get();
  }

  /** Stops the servers and the client. */
  Future<Void> close() {
    return Future.join(echoServer.close(), sinkServer.close(), client.close()).mapEmpty();
  }

  private void echo(NetSocket socket) {
    echoConnections.incrementAndGet();
    socket.closeHandler(v -> echoConnections.decrementAndGet());
    socket.handler(socket::write);
  }
}
