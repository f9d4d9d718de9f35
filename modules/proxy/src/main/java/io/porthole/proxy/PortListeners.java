package io.porthole.proxy;

import io.porthole.common.Addresses;
import io.porthole.common.PortholeException;
import io.porthole.tunnel.carry.StreamTarget;
import io.porthole.tunnel.carry.TcpOverTunnel;
import io.porthole.tunnel.server.TunnelRouter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Port mode: this node listens on every allocated port — bound when allocated, unbound when freed,
 * re-bound at start-up from the registry — so a load balancer may send a port-mode request to any
 * node. {@code http} exposures get an HTTP listener, {@code tcp} ones raw TCP.
 */
final class PortListeners {

  private static final Logger log = LoggerFactory.getLogger(PortListeners.class);

  private final Vertx vertx;
  private final ProxyConfig cfg;
  private final Forwarder forwarder;
  private final Lookups lookups;
  private final TunnelRouter tunnels;
  private final InternalHop hop;
  private final Map<Integer, Supplier<Future<Void>>> bound = new HashMap<>();
  // allocated/freed events come from different verticles and may arrive out of order: an
  // allocation already freed is never bound (ids of the last frees, bounded)
  private final java.util.LinkedHashSet<Long> freed = new java.util.LinkedHashSet<>();

  PortListeners(
      Vertx vertx,
      ProxyConfig cfg,
      Forwarder forwarder,
      Lookups lookups,
      TunnelRouter tunnels,
      InternalHop hop) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.forwarder = forwarder;
    this.lookups = lookups;
    this.tunnels = tunnels;
    this.hop = hop;
  }

  Future<Void> start() {
    vertx.eventBus().<JsonObject>consumer(Addresses.PORTS_ALLOCATED, m -> bind(m.body()));
    vertx
        .eventBus()
        .<JsonObject>consumer(Addresses.PORTS_FREED, m -> unbind(m.body().getInteger("port")));
    return vertx
        .eventBus()
        .<JsonObject>request(Addresses.PORTS_LIST, new JsonObject())
        .map(
            m -> {
              JsonArray all = m.body().getJsonArray("allocations", new JsonArray());
              all.forEach(a -> bind((JsonObject) a));
              log.info("port mode: {} allocated port(s) to listen on", all.size());
              return (Void) null;
            })
        .recover(
            err -> {
              log.warn("port mode: could not list allocated ports yet: {}", err.getMessage());
              return Future.succeededFuture();
            });
  }

  private void bind(JsonObject allocation) {
    Integer port = allocation == null ? null : allocation.getInteger("port");
    Long id = allocation == null ? null : allocation.getLong("allocation_id");
    if (port == null || bound.containsKey(port) || (id != null && freed.contains(id))) {
      return;
    }
    boolean tcp = "tcp".equals(allocation.getString("protocol"));
    bound.put(port, () -> Future.succeededFuture());
    Future<Supplier<Future<Void>>> listening =
        tcp
            ? vertx
                .createNetServer(new NetServerOptions().setTcpNoDelay(true))
                .connectHandler(sock -> tcp(sock, port))
                .listen(port, cfg.httpHost())
                .map(s -> (Supplier<Future<Void>>) s::close)
            : vertx
                .createHttpServer(
                    new HttpServerOptions().setTcpNoDelay(true).setMaxHeaderSize(16 * 1024))
                .invalidRequestHandler(Errors::invalidRequest)
                .requestHandler(
                    req -> {
                      try {
                        FrontDoors.checkPath(req.uri());
                      } catch (PortholeException e) {
                        Errors.respond(req, e.code(), e.getMessage(), Forwarder.requestId());
                        return;
                      }
                      forwarder.handle(
                          req, new Target(Target.Door.PORT, null, 0, null, port, "", req.uri()));
                    })
                .listen(port, cfg.httpHost())
                .map(s -> (Supplier<Future<Void>>) ((HttpServer) s)::close);
    listening
        .onSuccess(
            closer -> {
              if (bound.containsKey(port)) {
                bound.put(port, closer);
                log.info("port mode: listening on {} ({})", port, tcp ? "tcp" : "http");
              } else {
                closer.get();
              }
            })
        .onFailure(
            err -> {
              bound.remove(port);
              log.warn("port mode: cannot listen on {}: {}", port, err.getMessage());
            });
  }

  private void unbind(Integer port) {
    Supplier<Future<Void>> closer = port == null ? null : bound.remove(port);
    if (closer != null) {
      closer.get().onSuccess(v -> log.info("port mode: closed {}", port));
    }
  }

  private void tcp(NetSocket sock, int port) {
    sock.pause();
    String rid = Forwarder.requestId();
    HeaderRules.Client client =
        new HeaderRules.Client(
            sock.remoteAddress().hostAddress(), "tcp", "", sock.remoteAddress().hostAddress());
    lookups
        .exposure(new Target(Target.Door.PORT, null, 0, null, port, "", "/"))
        .compose(
            e -> {
              Target t =
                  new Target(
                      Target.Door.PORT,
                      e.getString("session_id"),
                      e.getInteger("port"),
                      null,
                      port,
                      "",
                      "/");
              String sandbox = e.getString("sandbox_id");
              return lookups
                  .route(sandbox)
                  .compose(
                      route -> {
                        if (cfg.nodeId().equals(route.getString("node_id"))
                            || !route.containsKey("port")) {
                          return tunnels
                              .open(sandbox, StreamTarget.tcp(t.sessionId(), t.port()).encode())
                              .map(
                                  stream -> {
                                    TcpOverTunnel.bridge(sock, stream);
                                    sock.resume();
                                    return (Void) null;
                                  });
                        }
                        return hop.bridgeTcp(sock, route, t, client, rid);
                      });
            })
        .onFailure(
            err -> {
              log.info("tcp connection {} on port {} refused: {}", rid, port, err.getMessage());
              sock.close();
            });
  }

  Future<Void> close() {
    return Future.join(bound.values().stream().map(Supplier::get).toList()).mapEmpty();
  }
}
