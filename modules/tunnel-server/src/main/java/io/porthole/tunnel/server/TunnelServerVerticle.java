package io.porthole.tunnel.server;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.tunnel.mux.Multiplexer;
import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.mux.Role;
import io.porthole.tunnel.transport.FrameTransport;
import io.porthole.tunnel.transport.WebSocketSettings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts sandbox tunnels: one WebSocket per tunnel at {@code /api/v1/tunnel} on {@code
 * tunnel.port}. A tunnel is authenticated (sandbox id, instance id, bearer token, checked by the
 * registry) before the upgrade completes, so a refused one never opens a stream; then it is
 * multiplexed and registered in {@link Tunnels}.
 */
public class TunnelServerVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(TunnelServerVerticle.class);
  public static final String HEADER_SANDBOX = "X-Porthole-Sandbox";
  public static final String HEADER_INSTANCE = "X-Porthole-Instance";

  private final Tunnels tunnels;
  private TunnelServerConfig cfg;
  private HttpServer server;

  public TunnelServerVerticle(Tunnels tunnels) {
    this.tunnels = tunnels;
  }

  @Override
  public Future<?> start() {
    cfg = TunnelServerConfig.from(config());
    tunnels.bind(vertx, context, cfg);
    HttpServerOptions options =
        WebSocketSettings.apply(new HttpServerOptions(), MuxOptions.DEFAULT_MAX_FRAME_PAYLOAD)
            .setMaxHeaderSize(16 * 1024)
            .setIdleTimeout(0);
    if (cfg.tls()) {
      options
          .setSsl(true)
          .setKeyCertOptions(
              new PemKeyCertOptions().setCertPath(cfg.tlsCertFile()).setKeyPath(cfg.tlsKeyFile()));
    }
    server = vertx.createHttpServer(options);
    server
        .webSocketHandshakeHandler(this::handshake)
        .webSocketHandler(ws -> {})
        .requestHandler(
            req ->
                req.response()
                    .setStatusCode(426)
                    .putHeader("content-type", "application/json")
                    .end(
                        ErrorCode.INVALID
                            .body("this port accepts sandbox tunnels (WebSocket upgrade) only")
                            .encode()));
    return server
        .listen(cfg.port(), cfg.host())
        .onSuccess(
            s ->
                log.info(
                    "tunnel server on {}://{}:{}{}",
                    cfg.tls() ? "wss" : "ws",
                    cfg.host(),
                    s.actualPort(),
                    TunnelServerConfig.PATH));
  }

  public int actualPort() {
    return server.actualPort();
  }

  private void handshake(ServerWebSocketHandshake hs) {
    String remote = String.valueOf(hs.remoteAddress());
    if (!TunnelServerConfig.PATH.equals(hs.path())) {
      hs.reject(404);
      return;
    }
    String sandboxId = hs.headers().get(HEADER_SANDBOX);
    String instanceId = hs.headers().get(HEADER_INSTANCE);
    String auth = hs.headers().get("Authorization");
    if (sandboxId == null || instanceId == null || auth == null || !auth.startsWith("Bearer ")) {
      log.warn(
          "refused tunnel from {}: missing {}, {} or bearer token",
          remote,
          HEADER_SANDBOX,
          HEADER_INSTANCE);
      hs.reject(401);
      return;
    }
    JsonObject body =
        new JsonObject()
            .put("sandbox_id", sandboxId)
            .put("instance_id", instanceId)
            .put("token", auth.substring("Bearer ".length()).trim());
    vertx
        .eventBus()
        .<JsonObject>request(
            Addresses.REGISTRY_SANDBOX_AUTHENTICATE,
            body,
            new DeliveryOptions().setSendTimeout(10_000))
        .compose(ok -> tunnels.admit(sandboxId, instanceId))
        .onFailure(
            err -> {
              ErrorCode code = ErrorCode.of(err);
              // the token is never logged
              log.warn(
                  "refused tunnel for sandbox {} instance {} from {}: {} ({})",
                  sandboxId,
                  instanceId,
                  remote,
                  code.wireName(),
                  err.getMessage());
              hs.reject(code == ErrorCode.INTERNAL ? 500 : code.httpStatus());
            })
        .compose(v -> hs.accept())
        .onSuccess(
            ws -> {
              MuxOptions muxOptions =
                  new MuxOptions()
                      .setPingInterval(cfg.pingInterval())
                      .setDeadPeerTimeout(cfg.deadAfter())
                      .setControlRequestTimeout(cfg.controlTimeout())
                      .setMaxConcurrentStreams(cfg.maxStreams());
              Multiplexer mux =
                  Multiplexer.create(FrameTransport.webSocket(ws), Role.OPENER, muxOptions);
              tunnels.attach(sandboxId, instanceId, mux, remote);
            });
  }

  @Override
  public Future<?> stop() {
    return tunnels
        .closeAll("API node " + cfg.nodeId() + " is shutting down")
        .recover(err -> Future.succeededFuture())
        .compose(v -> server.close());
  }
}
