package io.porthole.tunnel.carry;

import io.porthole.tunnel.mux.MuxStream;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

/** Raw TCP over one tunnel stream ({@link StreamTarget#tcp}): bytes both ways, back-pressured. */
public final class TcpOverTunnel {

  /** RESET code sent when the container port refuses the connection. */
  public static final int NOT_LISTENING = 0x1000;

  /** RESET code sent when a stream names a target that is not allowed or malformed. */
  public static final int REFUSED = 0x1001;

  private TcpOverTunnel() {}

  /** Sandbox side: connects to the container, or resets the stream saying why. */
  public static void serve(
      MuxStream stream, StreamTarget target, NetClient client, SocketAddress origin) {
    stream.pause();
    client
        .connect(origin)
        .onSuccess(socket -> bridge(socket, stream))
        .onFailure(
            err ->
                stream.reset(
                    NOT_LISTENING,
                    "port "
                        + target.port()
                        + " of session "
                        + target.sessionId()
                        + " is not listening"));
  }

  /** Pipes a socket and a stream into each other; either side failing tears down both. */
  public static void bridge(NetSocket socket, MuxStream stream) {
    socket.pipeTo(stream).onFailure(err -> stream.reset());
    stream
        .pipeTo(socket)
        .onFailure(
            err -> {
              socket.close();
            });
  }
}
