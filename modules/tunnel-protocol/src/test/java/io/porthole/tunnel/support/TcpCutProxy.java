package io.porthole.tunnel.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP relay in front of the tunnel server whose connections can be cut at once: both
 * legs are closed at the TCP level, so neither WebSocket sees a close frame, let alone a GOAWAY.
 */
public final class TcpCutProxy {

  private final Vertx vertx;
  private final int targetPort;
  private final List<NetSocket> sockets = new CopyOnWriteArrayList<>();
  private NetServer server;

  public TcpCutProxy(Vertx vertx, int targetPort) {
    this.vertx = vertx;
    this.targetPort = targetPort;
  }

  public Future<TcpCutProxy> start() {
    NetClient client = vertx.createNetClient();
    return vertx
        .createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0).setTcpNoDelay(true))
        .connectHandler(
            inbound -> {
              inbound.pause();
              client
                  .connect(targetPort, "127.0.0.1")
                  .onSuccess(
                      outbound -> {
                        sockets.add(inbound);
                        sockets.add(outbound);
                        inbound.pipeTo(outbound);
                        outbound.pipeTo(inbound);
                      })
                  .onFailure(err -> inbound.close());
            })
        .listen()
        .map(
            s -> {
              server = s;
              return this;
            });
  }

  public int port() {
    return server.actualPort();
  }

  /** Closes every relayed TCP connection, both legs. */
  public Future<Void> cutAll() {
    return Future.all(sockets.stream().map(NetSocket::close).toList()).mapEmpty();
  }
}
