package io.porthole.ports;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Whether a port can be bound on this host right now. Something else listening on it ("address in
 * use"), or an outgoing connection holding it as its local port, is the normal case of a busy port:
 * the allocator picks another.
 */
@FunctionalInterface
public interface HostPorts {

  Future<Boolean> isFree(int port);

  /** Tries to bind {@code host:port} (off the event loop) and releases it at once. */
  static HostPorts binding(Vertx vertx, String host) {
    return port ->
        vertx.executeBlocking(
            () -> {
              try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(host, port));
                return true;
              } catch (IOException e) {
                return false;
              }
            },
            false);
  }
}
