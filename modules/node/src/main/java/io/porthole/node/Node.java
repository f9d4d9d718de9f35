package io.porthole.node;

import io.porthole.admin.AdminVerticle;
import io.porthole.api.ApiVerticle;
import io.porthole.common.Addresses;
import io.porthole.common.config.Settings;
import io.porthole.ports.PortAllocatorVerticle;
import io.porthole.postgres.EmbeddedPostgres;
import io.porthole.postgres.PgSettings;
import io.porthole.proxy.ProxyFrontDoor;
import io.porthole.proxy.ProxyVerticle;
import io.porthole.registry.SessionRegistryVerticle;
import io.porthole.sandbox.SandboxSupervisorVerticle;
import io.porthole.sandbox.tunnel.TunnelClientVerticle;
import io.porthole.tunnel.server.TunnelServerVerticle;
import io.porthole.tunnel.server.Tunnels;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Porthole process: a (clustered) Vert.x instance and the verticles of its role. {@code api}
 * runs the registry and the API; {@code sandbox} the supervisor and a health server; {@code all}
 * both. With no {@code pg.url}, an API node starts the embedded PostgreSQL under {@code data.dir}.
 */
public final class Node {

  private static final Logger log = LoggerFactory.getLogger(Node.class);

  private final Vertx vertx;
  private final JsonObject config;
  private final EmbeddedPostgres embedded;
  private final HazelcastClusterManager cluster;
  private final Map<String, Deployable> deployed = new LinkedHashMap<>();
  private final Promise<Void> drainedPromise = Promise.promise();
  private HealthChecks health;
  private Tunnels tunnels;
  private volatile boolean draining;

  private Node(
      Vertx vertx, JsonObject config, EmbeddedPostgres embedded, HazelcastClusterManager cluster) {
    this.vertx = vertx;
    this.config = config;
    this.embedded = embedded;
    this.cluster = cluster;
  }

  /**
   * Starts a node from a loaded, validated configuration. Call it from main or a worker thread, not
   * an event loop: it reads the cluster configuration before it has a Vert.x to hand that to.
   */
  public static Future<Node> start(JsonObject loaded) {
    JsonObject config = loaded.copy();
    if (Settings.NODE_ID.stringIn(config).isEmpty()) {
      config.put(Settings.NODE_ID.name(), "node-" + randomHex());
    }
    String nodeId = Settings.NODE_ID.stringIn(config);
    String role = Settings.ROLE.stringIn(config);
    VertxOptions options =
        new VertxOptions().setPreferNativeTransport(Settings.VERTX_NATIVE_TRANSPORT.boolIn(config));
    if (Settings.VERTX_EVENT_LOOPS.intIn(config) > 0) {
      options.setEventLoopPoolSize(Settings.VERTX_EVENT_LOOPS.intIn(config));
    }
    if (Settings.METRICS_ENABLED.boolIn(config)) {
      // one registry per node (named by its id), so nodes sharing a JVM in tests stay apart
      options.setMetricsOptions(
          new MicrometerMetricsOptions()
              .setEnabled(true)
              .setRegistryName(nodeId)
              .setJvmMetricsEnabled(true)
              .setPrometheusOptions(
                  new VertxPrometheusOptions().setEnabled(true).setPublishQuantiles(true)));
    }
    HazelcastClusterManager cluster = null;
    Future<Vertx> vertxFuture;
    if (Settings.CLUSTER_ENABLED.boolIn(config)) {
      options.getEventBusOptions().setHost(Settings.CLUSTER_HOST.stringIn(config)).setPort(0);
      cluster = new HazelcastClusterManager(ClusterSetup.hazelcastConfig(config, nodeId));
      vertxFuture = Vertx.builder().with(options).withClusterManager(cluster).buildClustered();
    } else {
      vertxFuture = Future.succeededFuture(Vertx.builder().with(options).build());
    }
    boolean api = !role.equals("sandbox");
    boolean embeddedPg = api && Settings.PG_URL.stringIn(config).isEmpty();
    EmbeddedPostgres pg =
        embeddedPg
            ? EmbeddedPostgres.create(
                Path.of(Settings.DATA_DIR.stringIn(config), "postgres"),
                Settings.PG_EMBEDDED_USER.stringIn(config),
                Settings.PG_EMBEDDED_PORT.intIn(config))
            : null;
    HazelcastClusterManager clusterManager = cluster;
    log.info("starting node {} with role {}", nodeId, role);
    return vertxFuture.compose(
        vertx -> {
          logTransport(vertx, config);
          Node node = new Node(vertx, config, pg, clusterManager);
          return node.boot(role)
              .recover(err -> node.stop().transform(v -> Future.failedFuture(err)));
        });
  }

  private static void logTransport(Vertx vertx, JsonObject config) {
    if (vertx.isNativeTransportEnabled()) {
      log.info("network transport: native (epoll)");
    } else if (Settings.VERTX_NATIVE_TRANSPORT.boolIn(config)) {
      Throwable cause = vertx.unavailableNativeTransportCause();
      log.info(
          "network transport: Java NIO (native unavailable: {})",
          cause == null ? "unknown" : cause.getMessage());
    } else {
      log.info("network transport: Java NIO (vertx.native_transport is false)");
    }
  }

  /**
   * Drains this node (admin {@code drain}): readiness turns DOWN so load balancers stop sending,
   * the tunnel server admits no tunnel and routes its sandboxes away, and once its streams finished
   * (or {@code timeout} passed) it closes its tunnels; then {@link #drained()} completes and the
   * process exits. Idempotent.
   */
  Future<JsonObject> drain(Duration timeout) {
    if (!draining) {
      draining = true;
      log.info("node {} draining (streams may take up to {})", id(), timeout);
      health.register(
          "draining",
          p -> p.complete(Status.KO(new JsonObject().put("reason", "the node is draining"))));
      Future<Integer> closed = tunnels == null ? Future.succeededFuture(0) : tunnels.drain(timeout);
      closed.onComplete(ar -> drainedPromise.tryComplete());
    }
    return Future.succeededFuture(
        new JsonObject().put("status", "draining").put("timeout_ms", timeout.toMillis()));
  }

  /** Completes once a drain has finished: the node may stop now. */
  public Future<Void> drained() {
    return drainedPromise.future();
  }

  private Future<Node> boot(String role) {
    health = HealthChecks.create(vertx);
    health.register("cluster", p -> p.complete(clusterStatus()));
    // not ready until every part of the role is up (the API listens before the sandbox side is)
    health.register(
        "startup",
        p -> p.complete(Status.KO(new JsonObject().put("reason", "the node is still starting"))));
    boolean api = !role.equals("sandbox");
    boolean sandbox = !role.equals("api");
    if (role.equals("all") && Settings.SANDBOX_ID.stringIn(config).isEmpty()) {
      // one process, one stable sandbox: its containers survive restarts of the node
      config.put(Settings.SANDBOX_ID.name(), "sbx-local");
    }
    Future<Void> chain = Future.succeededFuture();
    if (embedded != null) {
      chain =
          vertx
              .executeBlocking(embedded::start)
              .map(
                  (PgSettings s) -> {
                    config.put(Settings.PG_URL.name(), s.uri());
                    return null;
                  });
    }
    if (api) {
      tunnels = new Tunnels();
      ProxyFrontDoor door = new ProxyFrontDoor();
      TunnelServerVerticle tunnelServer = new TunnelServerVerticle(tunnels);
      chain = deploy(chain, new SessionRegistryVerticle(health));
      chain = deploy(chain, new PortAllocatorVerticle());
      chain = deploy(chain, tunnelServer);
      chain = deploy(chain, new AdminVerticle(tunnels, this::drain));
      chain = deploy(chain, new ProxyVerticle(tunnels, door));
      chain = deploy(chain, new ApiVerticle(health, door));
      if (sandbox) {
        chain = chain.compose(v -> localSandboxToken(tunnelServer.actualPort()));
      }
    }
    if (sandbox) {
      SandboxSupervisorVerticle supervisor = new SandboxSupervisorVerticle(health);
      chain = deploy(chain, supervisor);
      chain = deploy(chain, new TunnelClientVerticle(supervisor));
    }
    if (role.equals("sandbox")) {
      chain = deploy(chain, new HealthServerVerticle(health));
    }
    if (Settings.METRICS_ENABLED.boolIn(config)) {
      chain = deploy(chain, new MetricsServerVerticle());
    }
    return chain.map(
        v -> {
          health.unregister("startup");
          log.info(
              "node {} ({}) up: {}",
              id(),
              role,
              deployed.values().stream().map(x -> x.getClass().getSimpleName()).toList());
          return this;
        });
  }

  private Future<Void> deploy(Future<Void> after, Deployable verticle) {
    return after.compose(
        x ->
            vertx
                .deployVerticle(verticle, new DeploymentOptions().setConfig(config))
                .map(
                    id -> {
                      deployed.put(id, verticle);
                      return null;
                    }));
  }

  /**
   * The all role's sandbox dials its own node: a token issued in-process (stored hashed like any
   * other) and the local tunnel URL.
   */
  private Future<Void> localSandboxToken(int tunnelPort) {
    String sandboxId = Settings.SANDBOX_ID.stringIn(config);
    return vertx
        .eventBus()
        .<JsonObject>request(
            Addresses.REGISTRY_SANDBOX_ISSUE_TOKEN,
            new JsonObject().put("sandbox_id", sandboxId).put("actor", "node:" + id()))
        .map(
            reply -> {
              config.put(Settings.SANDBOX_TOKEN.name(), reply.body().getString("token"));
              String host = Settings.HTTP_HOST.stringIn(config);
              if (host.equals("0.0.0.0") || host.equals("::") || host.isEmpty()) {
                host = "127.0.0.1";
              }
              // its own node first; configured tunnel.urls after it, to fail over to (other nodes)
              JsonArray urls =
                  new JsonArray().add("ws://" + host + ":" + tunnelPort + "/api/v1/tunnel");
              List<String> configured = Settings.TUNNEL_URLS.listIn(config);
              if (configured.equals(Settings.TUNNEL_URLS.defaultValue())) {
                config.put(Settings.TUNNEL_CONNECTIONS.name(), 1);
              } else {
                configured.stream().filter(u -> !urls.contains(u)).forEach(urls::add);
              }
              config.put(Settings.TUNNEL_URLS.name(), urls);
              return null;
            });
  }

  private Status clusterStatus() {
    if (cluster == null) {
      return Status.OK(new JsonObject().put("clustered", false));
    }
    boolean joined = cluster.isActive() && cluster.getNodes().contains(cluster.getNodeId());
    JsonObject data =
        new JsonObject()
            .put("clustered", true)
            .put("members", joined ? cluster.getNodes().size() : 0);
    return joined ? Status.OK(data) : Status.KO(data);
  }

  /**
   * Graceful stop: undeploys in reverse order (the API stops accepting and drains within {@code
   * shutdown.timeout_ms}), leaves the cluster, then stops the embedded PostgreSQL.
   */
  public Future<Void> stop() {
    List<String> ids = new ArrayList<>(deployed.keySet());
    Future<Void> chain = Future.succeededFuture();
    for (int i = ids.size() - 1; i >= 0; i--) {
      String id = ids.get(i);
      chain =
          chain.compose(
              v ->
                  vertx
                      .undeploy(id)
                      .onFailure(err -> log.warn("undeploy of {} failed: {}", id, err.toString()))
                      .otherwiseEmpty()
                      .mapEmpty());
    }
    return chain
        .compose(v -> vertx.close())
        .compose(v -> stopEmbedded())
        .onComplete(ar -> log.info("node {} stopped", id()));
  }

  private Future<Void> stopEmbedded() {
    if (embedded == null) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    Thread t =
        new Thread(
            () -> {
              embedded.close();
              done.complete();
            },
            "porthole-pg-stop");
    t.start();
    return done.future();
  }

  public Vertx vertx() {
    return vertx;
  }

  public String id() {
    return Settings.NODE_ID.stringIn(config);
  }

  public JsonObject config() {
    return config.copy();
  }

  /** The embedded PostgreSQL, or null when the node uses an external one or has no API role. */
  public EmbeddedPostgres embeddedPostgres() {
    return embedded;
  }

  /** Simple names of the deployed verticles, in deployment order. */
  public List<String> verticles() {
    return deployed.values().stream().map(v -> v.getClass().getSimpleName()).toList();
  }

  /** The port where this node accepts sandbox tunnels, or -1 without the api role. */
  public int tunnelPort() {
    for (Deployable v : deployed.values()) {
      if (v instanceof TunnelServerVerticle t) {
        return t.actualPort();
      }
    }
    return -1;
  }

  /** The port of the Prometheus endpoint, or -1 when metrics are off. */
  public int metricsPort() {
    for (Deployable v : deployed.values()) {
      if (v instanceof MetricsServerVerticle m) {
        return m.actualPort();
      }
    }
    return -1;
  }

  /** The port of the HTTP server answering /readyz: the API's, or the health server's. */
  public int httpPort() {
    for (Deployable v : deployed.values()) {
      if (v instanceof ApiVerticle a) {
        return a.actualPort();
      }
      if (v instanceof HealthServerVerticle h) {
        return h.actualPort();
      }
    }
    return -1;
  }

  private static String randomHex() {
    byte[] b = new byte[4];
    ThreadLocalRandom.current().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
