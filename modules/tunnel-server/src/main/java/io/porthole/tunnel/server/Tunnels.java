package io.porthole.tunnel.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.Meters;
import io.porthole.common.PortholeException;
import io.porthole.tunnel.mux.ControlException;
import io.porthole.tunnel.mux.ControlTimeoutException;
import io.porthole.tunnel.mux.Multiplexer;
import io.porthole.tunnel.mux.MuxStream;
import io.porthole.tunnel.mux.StreamLimitException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tunnels this node holds, keyed by sandbox. Their event-bus consumers at {@link
 * Addresses#sandboxControl} and {@link Addresses#sandboxRoute} are the cluster's routing table: a
 * sandbox is reachable through whichever node registered them. All state is confined to one context
 * (the tunnel server's); public methods hop onto it.
 */
public final class Tunnels implements TunnelRouter {

  private static final Logger log = LoggerFactory.getLogger(Tunnels.class);

  private final Map<String, SandboxLink> links = new HashMap<>();

  /** Live tunnels and the bytes of closed ones, for the metrics (read from any thread). */
  private final Set<Multiplexer> live = ConcurrentHashMap.newKeySet();

  private final AtomicLong closedBytesIn = new AtomicLong();
  private final AtomicLong closedBytesOut = new AtomicLong();
  private Vertx vertx;
  private Context context;
  private TunnelServerConfig config;
  private volatile JsonObject dataPlane = new JsonObject();
  private volatile boolean draining;

  /** Binds to the tunnel server's context; called once from its start. */
  void bind(Vertx vertx, Context context, TunnelServerConfig config) {
    this.vertx = vertx;
    this.context = context;
    this.config = config;
    MeterRegistry meters = Meters.of(config.nodeId());
    Gauge.builder("porthole.tunnels.active", live, Set::size)
        .description("Tunnel connections from sandboxes held by this node")
        .register(meters);
    Gauge.builder(
            "porthole.tunnel.streams.active",
            live,
            l -> l.stream().mapToInt(Multiplexer::activeStreams).sum())
        .description("Streams open over this node's tunnels")
        .register(meters);
    FunctionCounter.builder(
            "porthole.tunnel.bytes",
            this,
            t ->
                t.closedBytesIn.get() + t.live.stream().mapToLong(Multiplexer::bytesReceived).sum())
        .tag("direction", "in")
        .description("Tunnel frame bytes received from sandboxes")
        .register(meters);
    FunctionCounter.builder(
            "porthole.tunnel.bytes",
            this,
            t -> t.closedBytesOut.get() + t.live.stream().mapToLong(Multiplexer::bytesSent).sum())
        .tag("direction", "out")
        .description("Tunnel frame bytes sent to sandboxes")
        .register(meters);
  }

  /** The node-to-node endpoint the route address advertises: {host, port}. */
  public void advertiseDataPlane(String host, int port) {
    dataPlane = new JsonObject().put("host", host).put("port", port);
  }

  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    if (context == null) {
      return Future.failedFuture(
          new PortholeException(ErrorCode.UNAVAILABLE, "the tunnel server is not running"));
    }
    Context caller = Vertx.currentContext();
    if (caller == context) {
      return action.get();
    }
    // the outcome goes back to the caller's context, so its continuation runs where it started
    Promise<T> p = Promise.promise();
    context.runOnContext(
        v ->
            action
                .get()
                .onComplete(
                    ar -> {
                      if (caller == null || Vertx.currentContext() == caller) {
                        p.handle(ar);
                      } else {
                        caller.runOnContext(x -> p.handle(ar));
                      }
                    }));
    return p.future();
  }

  /**
   * Whether a new tunnel from this sandbox instance may be attached (replacing or within limit).
   */
  Future<Void> admit(String sandboxId, String instanceId) {
    return onContext(
        () -> {
          if (draining) {
            return Future.failedFuture(
                new PortholeException(
                    ErrorCode.UNAVAILABLE,
                    "node " + config.nodeId() + " is draining: connect to another node"));
          }
          SandboxLink link = links.get(sandboxId);
          if (link == null
              || link.tunnels.containsKey(instanceId)
              || link.tunnels.size() < config.maxPerSandbox()) {
            return Future.succeededFuture();
          }
          return Future.failedFuture(
              new PortholeException(
                  ErrorCode.CONFLICT,
                  "sandbox "
                      + sandboxId
                      + " already holds "
                      + link.tunnels.size()
                      + " tunnel(s) on this node (tunnel.max_per_sandbox)"));
        });
  }

  /** Registers a live tunnel; a previous tunnel of the same instance is closed and replaced. */
  Future<Void> attach(String sandboxId, String instanceId, Multiplexer mux, String remote) {
    return onContext(
        () -> {
          SandboxLink link = links.computeIfAbsent(sandboxId, SandboxLink::new);
          SandboxLink.Tunnel old = link.tunnels.remove(instanceId);
          if (old != null) {
            log.info(
                "sandbox {} instance {}: new tunnel replaces the old one", sandboxId, instanceId);
            old.mux().close("replaced by a newer tunnel of the same instance");
          }
          link.tunnels.put(
              instanceId, new SandboxLink.Tunnel(instanceId, mux, remote, Instant.now()));
          live.add(mux);
          mux.closeHandler(
              reason -> context.runOnContext(v -> detach(sandboxId, instanceId, mux, reason)));
          if (link.graceTimer != -1) {
            vertx.cancelTimer(link.graceTimer);
            link.graceTimer = -1;
          }
          while (!link.waiting.isEmpty()) {
            link.waiting.poll().complete(mux);
          }
          log.info(
              "tunnel up: sandbox {} instance {} from {} ({} on this node)",
              sandboxId,
              instanceId,
              remote,
              link.tunnels.size());
          notifyRegistry(Addresses.REGISTRY_SANDBOX_CONNECTED, sandboxId, instanceId);
          return register(link).onSuccess(v -> changed(sandboxId));
        });
  }

  private Future<Void> register(SandboxLink link) {
    if (link.control != null) {
      return Future.succeededFuture();
    }
    String id = link.sandboxId;
    link.control =
        vertx
            .eventBus()
            .consumer(
                Addresses.sandboxControl(id),
                (Message<JsonObject> msg) -> {
                  JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
                  command(id, body.getString("command", ""), body.getJsonObject("body"))
                      .onSuccess(msg::reply)
                      .onFailure(err -> msg.fail(ErrorCode.of(err).code(), err.getMessage()));
                });
    link.route =
        vertx
            .eventBus()
            .consumer(
                Addresses.sandboxRoute(id),
                (Message<JsonObject> msg) ->
                    msg.reply(
                        dataPlane.copy().put("node_id", config.nodeId()).put("sandbox_id", id)));
    return Future.join(link.control.completion(), link.route.completion()).mapEmpty();
  }

  private void detach(
      String sandboxId,
      String instanceId,
      Multiplexer mux,
      io.porthole.tunnel.mux.CloseReason why) {
    if (live.remove(mux)) {
      closedBytesIn.addAndGet(mux.bytesReceived());
      closedBytesOut.addAndGet(mux.bytesSent());
    }
    SandboxLink link = links.get(sandboxId);
    if (link == null) {
      return;
    }
    SandboxLink.Tunnel current = link.tunnels.get(instanceId);
    if (current == null || current.mux() != mux) {
      return;
    }
    link.tunnels.remove(instanceId);
    log.info("tunnel down: sandbox {} instance {}: {}", sandboxId, instanceId, why);
    if (!link.tunnels.isEmpty()) {
      return;
    }
    long grace = config.grace().toMillis();
    if (grace <= 0) {
      forget(link);
      return;
    }
    link.graceTimer =
        vertx.setTimer(
            grace,
            t -> {
              link.graceTimer = -1;
              if (link.tunnels.isEmpty()) {
                forget(link);
              }
            });
  }

  /** The sandbox is gone from this node: fail who waits, drop its addresses, tell the registry. */
  private void forget(SandboxLink link) {
    links.remove(link.sandboxId);
    PortholeException gone =
        new PortholeException(
            ErrorCode.UNAVAILABLE,
            "sandbox "
                + link.sandboxId
                + " has no tunnel (it did not reconnect within the grace"
                + " period)");
    Future<Void> unregistered =
        link.control == null
            ? Future.succeededFuture()
            : Future.join(link.control.unregister(), link.route.unregister()).mapEmpty();
    // whoever waited learns the sandbox is gone once its addresses are gone too
    unregistered.onComplete(
        ar -> {
          while (!link.waiting.isEmpty()) {
            link.waiting.poll().fail(gone);
          }
          log.info("sandbox {} forgotten on this node", link.sandboxId);
          changed(link.sandboxId);
          notifyRegistry(Addresses.REGISTRY_SANDBOX_DISCONNECTED, link.sandboxId, "");
        });
  }

  private void changed(String sandboxId) {
    vertx
        .eventBus()
        .publish(
            Addresses.TUNNELS_CHANGED,
            new JsonObject().put("sandbox_id", sandboxId).put("node_id", config.nodeId()));
  }

  private void notifyRegistry(String address, String sandboxId, String instanceId) {
    JsonObject body =
        new JsonObject()
            .put("sandbox_id", sandboxId)
            .put("instance_id", instanceId)
            .put("node_id", config.nodeId());
    vertx
        .eventBus()
        .request(address, body)
        .onFailure(
            err -> log.warn("{} for sandbox {} failed: {}", address, sandboxId, err.toString()));
  }

  /** A live tunnel for the sandbox, waiting out a reconnect within the grace period. */
  private Future<Multiplexer> tunnelFor(String sandboxId) {
    SandboxLink link = links.get(sandboxId);
    if (link == null) {
      return Future.failedFuture(
          new PortholeException(
              ErrorCode.UNAVAILABLE, "sandbox " + sandboxId + " has no tunnel to this node"));
    }
    Multiplexer mux = link.leastLoaded();
    if (mux != null) {
      return Future.succeededFuture(mux);
    }
    if (link.waiting.size() >= TunnelServerConfig.MAX_WAITING_STREAMS) {
      return Future.failedFuture(
          new PortholeException(
              ErrorCode.UNAVAILABLE,
              "sandbox " + sandboxId + " is reconnecting and too many requests wait for it"));
    }
    Promise<Multiplexer> p = Promise.promise();
    link.waiting.add(p);
    return p.future();
  }

  @Override
  public Future<MuxStream> open(String sandboxId, Buffer metadata) {
    // the stream belongs to the caller (the request's context), not to the tunnel server
    Context caller = Vertx.currentContext();
    return onContext(
        () ->
            tunnelFor(sandboxId)
                .compose(mux -> mux.open(metadata, caller))
                .recover(
                    err ->
                        Future.failedFuture(
                            err instanceof StreamLimitException limit
                                ? new PortholeException(
                                    ErrorCode.UNAVAILABLE,
                                    "the tunnels of sandbox "
                                        + sandboxId
                                        + " to this node carry their most streams at once ("
                                        + limit.limit()
                                        + " each, tunnel.max_streams); try again later")
                                : err)));
  }

  @Override
  public Future<JsonObject> command(String sandboxId, String command, JsonObject body) {
    return onContext(
        () ->
            tunnelFor(sandboxId)
                .compose(
                    mux ->
                        mux.request(
                            command,
                            body == null ? new JsonObject() : body,
                            config.controlTimeout()))
                .recover(err -> Future.failedFuture(translate(sandboxId, command, err))));
  }

  private static Throwable translate(String sandboxId, String command, Throwable err) {
    if (err instanceof PortholeException) {
      return err;
    }
    if (err instanceof ControlTimeoutException) {
      return new PortholeException(
          ErrorCode.TIMEOUT, "sandbox " + sandboxId + " did not answer " + command + " in time");
    }
    if (err instanceof ControlException ce) {
      ErrorCode code = ErrorCode.fromWireName(ce.code(), ErrorCode.BAD_GATEWAY);
      return new PortholeException(code, err.getMessage());
    }
    return new PortholeException(
        ErrorCode.UNAVAILABLE, "tunnel to sandbox " + sandboxId + " failed: " + err.getMessage());
  }

  /** Whether {@link #drain} was called: no tunnel is admitted any more. */
  public boolean draining() {
    return draining;
  }

  /**
   * Takes this node out of the data plane: no new tunnel is admitted, the sandboxes' route and
   * control addresses are dropped here at once (the cluster then routes to their other tunnels),
   * and once every stream on this node's tunnels has finished, or {@code timeout} has passed, the
   * tunnels close with a GOAWAY so the sandboxes reconnect elsewhere. Completes with the number of
   * tunnels closed.
   */
  public Future<Integer> drain(Duration timeout) {
    return onContext(
        () -> {
          draining = true;
          List<Future<Void>> dropped = new ArrayList<>();
          for (SandboxLink link : links.values()) {
            if (link.control != null) {
              dropped.add(link.control.unregister());
              dropped.add(link.route.unregister());
              link.control = null;
              link.route = null;
            }
          }
          log.info(
              "draining: {} sandbox(es) routed away from this node; waiting up to {} for {}"
                  + " stream(s)",
              links.size(),
              timeout,
              live.stream().mapToInt(Multiplexer::activeStreams).sum());
          long deadline = System.nanoTime() + timeout.toNanos();
          Promise<Integer> closed = Promise.promise();
          Future.join(dropped)
              .onComplete(
                  ar ->
                      vertx.setPeriodic(
                          0,
                          100,
                          t -> {
                            boolean idle = live.stream().allMatch(m -> m.activeStreams() == 0);
                            if (!idle && System.nanoTime() < deadline) {
                              return;
                            }
                            vertx.cancelTimer(t);
                            List<Multiplexer> open = new ArrayList<>(live);
                            open.forEach(m -> m.close("node " + config.nodeId() + " is draining"));
                            log.info(
                                "drained: {} tunnel(s) closed{}",
                                open.size(),
                                idle ? "" : " with streams still open (timeout)");
                            closed.complete(open.size());
                          }));
          return closed.future();
        });
  }

  @Override
  public Future<List<JsonObject>> snapshot() {
    return onContext(
        () -> {
          List<JsonObject> out = new ArrayList<>();
          for (SandboxLink link : links.values()) {
            for (SandboxLink.Tunnel t : link.tunnels.values()) {
              out.add(
                  new JsonObject()
                      .put("sandbox_id", link.sandboxId)
                      .put("instance_id", t.instanceId())
                      .put("node_id", config.nodeId())
                      .put("remote", t.remote())
                      .put("streams", t.mux().activeStreams())
                      .put("bytes_in", t.mux().bytesReceived())
                      .put("bytes_out", t.mux().bytesSent())
                      .put("connected_at", t.connectedAt().toString()));
            }
          }
          return Future.succeededFuture(out);
        });
  }

  @Override
  public Future<Integer> kick(String sandboxId, String reason) {
    return onContext(
        () -> {
          SandboxLink link = links.get(sandboxId);
          if (link == null) {
            return Future.succeededFuture(0);
          }
          List<SandboxLink.Tunnel> all = List.copyOf(link.tunnels.values());
          return Future.join(all.stream().map(t -> t.mux().close(reason)).toList()).map(all.size());
        });
  }

  /** Closes every tunnel (node shutdown). */
  Future<Void> closeAll(String reason) {
    return onContext(
        () ->
            Future.join(
                    links.values().stream()
                        .flatMap(l -> l.tunnels.values().stream())
                        .map(t -> t.mux().close(reason))
                        .toList())
                .mapEmpty());
  }
}
