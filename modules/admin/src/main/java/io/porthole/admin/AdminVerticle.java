package io.porthole.admin;

import io.porthole.common.Addresses;
import io.porthole.tunnel.server.TunnelRouter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoints of an API node: the cluster-wide {@code porthole.admin.*} addresses ({@link
 * AdminService}) and this node's {@link Addresses#nodeAdmin} address ({@link LocalNode}). On start
 * the node records itself in the cluster-wide map {@link Addresses#NODES_MAP}; on stop it removes
 * itself. Deploy it after the tunnel server, whose {@code Tunnels} it reports and kicks.
 */
public class AdminVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(AdminVerticle.class);

  private final TunnelRouter tunnels;
  private final NodeDrain drain;
  private final Clock clock;
  private final long nodeTimeoutMs;
  private AdminConfig cfg;
  private ClusterView cluster;

  public AdminVerticle(TunnelRouter tunnels) {
    this(tunnels, NodeDrain.UNSUPPORTED);
  }

  public AdminVerticle(TunnelRouter tunnels, NodeDrain drain) {
    this(tunnels, drain, Clock.systemUTC(), AdminConfig.DEFAULT_NODE_TIMEOUT_MS);
  }

  /** With a clock (uptime) and how long a node may take to answer before it is unreachable. */
  public AdminVerticle(TunnelRouter tunnels, Clock clock, long nodeTimeoutMs) {
    this(tunnels, NodeDrain.UNSUPPORTED, clock, nodeTimeoutMs);
  }

  public AdminVerticle(TunnelRouter tunnels, NodeDrain drain, Clock clock, long nodeTimeoutMs) {
    this.tunnels = tunnels;
    this.drain = drain;
    this.clock = clock;
    this.nodeTimeoutMs = nodeTimeoutMs;
  }

  @Override
  public Future<?> start() {
    cfg = AdminConfig.from(config(), nodeTimeoutMs);
    LocalNode local = new LocalNode(cfg, tunnels, drain, clock);
    cluster = new ClusterView(vertx, cfg.nodeTimeoutMs());
    AdminService service = new AdminService(vertx, cluster);
    List<Future<Void>> registered = new ArrayList<>();
    registered.add(
        AdminBus.serve(vertx, Addresses.nodeAdmin(cfg.nodeId()), local::handle).completion());
    service
        .routes()
        .forEach(
            (address, handler) ->
                registered.add(AdminBus.serve(vertx, address, handler, true).completion()));
    return Future.all(registered)
        .compose(v -> cluster.join(local.record()))
        .onSuccess(v -> log.info("admin endpoints up on node {}", cfg.nodeId()));
  }

  @Override
  public Future<?> stop() {
    // consumers go with the deployment; the map entry must be removed explicitly
    return cluster == null
        ? Future.succeededFuture()
        : cluster
            .leave(cfg.nodeId())
            .onFailure(
                err -> log.warn("node {} could not leave the node map: {}", cfg.nodeId(), err));
  }
}
