package io.porthole.tunnel.server;

import io.porthole.tunnel.carry.CarryException;
import io.porthole.tunnel.carry.CarryServer;
import io.porthole.tunnel.mux.Multiplexer;
import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.mux.Role;
import io.porthole.tunnel.transport.FrameTransport;
import io.porthole.tunnel.transport.WebSocketSettings;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.util.Map;

/**
 * A minimal sandbox end for tests: dials the tunnel server, serves streams to the origins it is
 * given (keyed "session:port") and echoes commands. The real agent is the sandbox-agent module.
 */
final class TestSandbox {

  final String sandboxId;
  final String instanceId;
  private final Vertx vertx;
  private final Map<String, SocketAddress> origins;
  private final WebSocketClient client;
  private final CarryServer carry;
  Multiplexer mux;

  TestSandbox(
      Vertx vertx, String sandboxId, String instanceId, Map<String, SocketAddress> origins) {
    this.vertx = vertx;
    this.sandboxId = sandboxId;
    this.instanceId = instanceId;
    this.origins = origins;
    this.client =
        vertx.createWebSocketClient(
            WebSocketSettings.apply(
                new WebSocketClientOptions(), MuxOptions.DEFAULT_MAX_FRAME_PAYLOAD));
    this.carry =
        new CarryServer(
            vertx,
            (session, port) -> {
              SocketAddress a = origins.get(session + ":" + port);
              return a != null
                  ? Future.succeededFuture(a)
                  : Future.failedFuture(
                      new CarryException(
                          404, "not_found", "no session " + session + " port " + port));
            });
  }

  Future<Multiplexer> connect(int port, String token) {
    WebSocketConnectOptions options =
        WebSocketSettings.offerBatching(new WebSocketConnectOptions())
            .setHost("127.0.0.1")
            .setPort(port)
            .setURI(TunnelServerConfig.PATH)
            .setHeaders(
                MultiMap.caseInsensitiveMultiMap()
                    .add(TunnelServerVerticle.HEADER_SANDBOX, sandboxId)
                    .add(TunnelServerVerticle.HEADER_INSTANCE, instanceId)
                    .add("Authorization", "Bearer " + token));
    return client
        .connect(options)
        .map(
            ws -> {
              mux =
                  Multiplexer.create(FrameTransport.webSocket(ws), Role.ACCEPTOR, new MuxOptions());
              mux.streamHandler(carry::handle);
              mux.controlHandler(
                  req ->
                      req.command().equals("echo")
                          ? Future.succeededFuture(new JsonObject().put("echo", req.body()))
                          : Future.failedFuture(
                              new io.porthole.tunnel.mux.ControlException(
                                  "not_found", "no command " + req.command())));
              return mux;
            });
  }

  Future<Void> close() {
    return (mux == null ? Future.<Void>succeededFuture() : mux.close("test over"))
        .recover(e -> Future.succeededFuture())
        .compose(v -> carry.close())
        .compose(v -> client.close());
  }
}
