package io.porthole.sandbox.tunnel;

import io.porthole.common.ErrorCode;
import io.porthole.tunnel.carry.CarryException;
import io.porthole.tunnel.carry.CarryServer;
import io.porthole.tunnel.mux.CloseReason;
import io.porthole.tunnel.mux.ControlException;
import io.porthole.tunnel.mux.ControlRequest;
import io.porthole.tunnel.mux.Multiplexer;
import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.mux.Role;
import io.porthole.tunnel.transport.FrameTransport;
import io.porthole.tunnel.transport.WebSocketSettings;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox's side of the reverse tunnel: dials OUT to API nodes (no inbound port), keeps {@code
 * tunnel.connections} tunnels (to different URLs when there are several), reconnects with jittered
 * capped exponential backoff, answers the API's commands and carries the streams it opens to the
 * session containers.
 */
public class TunnelClientVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(TunnelClientVerticle.class);
  private static final String HEADER_SANDBOX = "X-Porthole-Sandbox";
  private static final String HEADER_INSTANCE = "X-Porthole-Instance";

  private final SandboxEndpoint endpoint;
  private final String instanceId = UUID.randomUUID().toString();
  private final List<Slot> slots = new ArrayList<>();
  private TunnelClientConfig cfg;
  private WebSocketClient client;
  private CarryServer carry;
  private volatile boolean stopping;

  public TunnelClientVerticle(SandboxEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  /** One kept tunnel: its URL rotation, backoff and current multiplexer. */
  private final class Slot {
    final int index;
    final Backoff backoff;
    Multiplexer mux;
    int attempt;
    long timer = -1;

    Slot(int index) {
      this.index = index;
      this.backoff =
          new Backoff(
              cfg.backoffMin(), cfg.backoffMax(), () -> ThreadLocalRandom.current().nextDouble());
    }

    String url() {
      return cfg.urls().get((index + attempt) % cfg.urls().size());
    }
  }

  @Override
  public Future<?> start() {
    cfg = TunnelClientConfig.from(config());
    WebSocketClientOptions options =
        WebSocketSettings.apply(
            new WebSocketClientOptions().setConnectTimeout(5_000),
            MuxOptions.DEFAULT_MAX_FRAME_PAYLOAD);
    options.setSendUnmaskedFrames(!cfg.maskFrames());
    if (!cfg.trustFile().isEmpty()) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(cfg.trustFile()));
    }
    client = vertx.createWebSocketClient(options);
    carry = new CarryServer(vertx, this::resolve);
    for (int i = 0; i < cfg.connections(); i++) {
      Slot slot = new Slot(i);
      slots.add(slot);
      connect(slot);
    }
    log.info(
        "sandbox {} (instance {}) keeps {} tunnel(s) to {}",
        cfg.sandboxId(),
        instanceId,
        cfg.connections(),
        cfg.urls());
    return Future.succeededFuture();
  }

  private Future<SocketAddress> resolve(String sessionId, int port) {
    return endpoint
        .resolveTarget(sessionId, port)
        .recover(
            err -> {
              ErrorCode code = ErrorCode.of(err);
              return Future.failedFuture(
                  new CarryException(code.httpStatus(), code.wireName(), err.getMessage()));
            });
  }

  private void connect(Slot slot) {
    if (stopping) {
      return;
    }
    String url = slot.url();
    URI uri = URI.create(url);
    boolean tls = "wss".equals(uri.getScheme());
    WebSocketConnectOptions options =
        WebSocketSettings.offerBatching(new WebSocketConnectOptions())
            .setHost(uri.getHost())
            .setPort(uri.getPort() != -1 ? uri.getPort() : tls ? 443 : 80)
            .setURI(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
            .setSsl(tls)
            .setHeaders(
                MultiMap.caseInsensitiveMultiMap()
                    .add(HEADER_SANDBOX, cfg.sandboxId())
                    .add(HEADER_INSTANCE, instanceId + "-" + slot.index)
                    .add("Authorization", "Bearer " + cfg.token()));
    client
        .connect(options)
        .onSuccess(
            ws -> {
              MuxOptions muxOptions =
                  new MuxOptions()
                      .setPingInterval(cfg.pingInterval())
                      .setDeadPeerTimeout(cfg.deadAfter())
                      .setControlRequestTimeout(cfg.controlTimeout())
                      .setMaxConcurrentStreams(cfg.maxStreams());
              Multiplexer mux =
                  Multiplexer.create(FrameTransport.webSocket(ws), Role.ACCEPTOR, muxOptions);
              mux.streamHandler(carry::handle);
              mux.controlHandler(this::command);
              mux.closeHandler(reason -> closed(slot, mux, url, reason));
              slot.mux = mux;
              slot.backoff.reset();
              log.info("tunnel {} of sandbox {} up to {}", slot.index, cfg.sandboxId(), url);
            })
        .onFailure(
            err -> {
              log.warn(
                  "tunnel {} of sandbox {} could not connect to {}: {}",
                  slot.index,
                  cfg.sandboxId(),
                  url,
                  err.getMessage());
              retry(slot);
            });
  }

  private Future<JsonObject> command(ControlRequest request) {
    return endpoint
        .handle(request.command(), request.body())
        .recover(
            err ->
                Future.failedFuture(
                    new ControlException(
                        ErrorCode.of(err).wireName(), String.valueOf(err.getMessage()))));
  }

  private void closed(Slot slot, Multiplexer mux, String url, CloseReason reason) {
    if (slot.mux == mux) {
      slot.mux = null;
    }
    log.warn("tunnel {} of sandbox {} to {} closed: {}", slot.index, cfg.sandboxId(), url, reason);
    retry(slot);
  }

  private void retry(Slot slot) {
    if (stopping) {
      return;
    }
    slot.attempt++;
    long delay = slot.backoff.next();
    slot.timer =
        vertx.setTimer(
            delay,
            t -> {
              slot.timer = -1;
              connect(slot);
            });
  }

  /** How many tunnels are up right now. */
  public int connectedTunnels() {
    return (int) slots.stream().filter(s -> s.mux != null && !s.mux.isClosed()).count();
  }

  /** This process's instance id (each tunnel adds its slot number). */
  public String instanceId() {
    return instanceId;
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    List<Future<?>> closing = new ArrayList<>();
    for (Slot slot : slots) {
      if (slot.timer != -1) {
        vertx.cancelTimer(slot.timer);
      }
      if (slot.mux != null) {
        closing.add(slot.mux.close("sandbox " + cfg.sandboxId() + " is shutting down"));
      }
    }
    return Future.join(closing)
        .recover(err -> Future.succeededFuture())
        .compose(v -> carry.close())
        .compose(v -> client.close());
  }
}
