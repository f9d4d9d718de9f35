package io.porthole.sandbox;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.common.config.ConfigException;
import io.porthole.sandbox.tunnel.SandboxEndpoint;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox side: owns the Docker engine connection and the sessions' dev containers. Wires the
 * runtime, {@link SessionContainers}, {@link SandboxCommands} and {@link EngineMonitor}; at start
 * re-reads the IPs of existing containers (the local reconcile) and then probes the engine every
 * {@code sandbox.probe_interval_ms}. Contributes the {@code docker} readiness check (engine answers
 * and the dev-container image exists). Every docker-java call runs on a worker thread.
 *
 * <p>The tunnel client uses {@link #commands()} for the sandbox commands it receives and {@link
 * #resolveTarget} for where to forward a stream; both are valid once the verticle has started.
 */
public class SandboxSupervisorVerticle extends VerticleBase implements SandboxEndpoint {

  private static final Logger log = LoggerFactory.getLogger(SandboxSupervisorVerticle.class);

  private final HealthChecks health;
  private final Function<SandboxConfig, ContainerRuntime> runtimes;
  private SandboxConfig cfg;
  private ContainerRuntime runtime;
  private volatile SandboxCommands commands;
  private EngineMonitor monitor;
  private long probeTimer = -1;

  public SandboxSupervisorVerticle(HealthChecks health) {
    this(
        health,
        c ->
            ContainerRuntime.docker(c.dockerHost(), Duration.ofSeconds(3), Duration.ofSeconds(30)));
  }

  /** With a runtime factory (called on a worker thread), so tests can supply a fake engine. */
  public SandboxSupervisorVerticle(
      HealthChecks health, Function<SandboxConfig, ContainerRuntime> runtimes) {
    this.health = health;
    this.runtimes = runtimes;
  }

  @Override
  public Future<?> start() {
    try {
      cfg = SandboxConfig.from(config());
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    // building docker-java's clients reads the Docker config files and sets TLS up: a worker's job
    return vertx.executeBlocking(() -> runtimes.apply(cfg), false).compose(this::startWith);
  }

  private Future<?> startWith(ContainerRuntime started) {
    runtime = started;
    SessionContainers containers = new SessionContainers(runtime, cfg);
    monitor = new EngineMonitor(vertx, runtime, containers);
    commands = new SandboxCommands(vertx, containers);
    health.register("docker", 5000, p -> dockerStatus().onComplete(p));
    probeTimer = vertx.setPeriodic(cfg.probeInterval().toMillis(), id -> monitor.probe());
    // A Docker engine that is down at start-up is not fatal: readiness says so, and the probe
    // resumes the work (re-reading container IPs) when it answers.
    return Future.join(
            dockerStatus()
                .onSuccess(
                    s ->
                        log.info(
                            "sandbox {} on Docker {} (depth {}, privileged {}, host Docker {}):"
                                + " {}",
                            cfg.sandboxId(),
                            cfg.dockerHost(),
                            cfg.depth(),
                            cfg.allowPrivileged() ? "allowed" : "refused",
                            cfg.allowHostDocker() ? "allowed" : "refused",
                            s.getData())),
            monitor.probe())
        .mapEmpty();
  }

  /** The sandbox command table (container.create, reconcile, ...). Null before start. */
  public SandboxCommands commands() {
    return commands;
  }

  /**
   * Runs one sandbox command: see {@link SandboxCommands#handle}. Fails {@code UNAVAILABLE} when
   * the supervisor is not running.
   */
  @Override
  public Future<JsonObject> handle(String command, JsonObject body) {
    SandboxCommands c = commands;
    if (c == null) {
      return Future.failedFuture(
          new PortholeException(ErrorCode.UNAVAILABLE, "the sandbox supervisor is not running"));
    }
    return c.handle(command, body);
  }

  /** Where to forward a stream for a session's port: see {@link SandboxCommands#resolveTarget}. */
  @Override
  public Future<SocketAddress> resolveTarget(String sessionId, int port) {
    SandboxCommands c = commands;
    if (c == null) {
      return Future.failedFuture(
          new PortholeException(ErrorCode.UNAVAILABLE, "the sandbox supervisor is not running"));
    }
    return c.resolveTarget(sessionId, port);
  }

  /** This sandbox's id (config {@code sandbox.id}, or sbx-&lt;node id&gt;). Null before start. */
  public String sandboxId() {
    return cfg == null ? null : cfg.sandboxId();
  }

  private Future<Status> dockerStatus() {
    return vertx
        .executeBlocking(
            () -> {
              String version = runtime.ping();
              boolean image = runtime.hasImage(cfg.image());
              JsonObject data =
                  new JsonObject()
                      .put("engine", version)
                      .put("image", cfg.image())
                      .put("image_present", image);
              return image ? Status.OK(data) : Status.KO(data);
            },
            false)
        .recover(
            err ->
                Future.succeededFuture(
                    Status.KO(
                        new JsonObject()
                            .put("engine", cfg.dockerHost())
                            .put("error", "Docker engine unreachable: " + err.getMessage()))));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(probeTimer);
    health.unregister("docker");
    commands = null;
    EngineMonitor m = monitor;
    ContainerRuntime r = runtime;
    return vertx.executeBlocking(
        () -> {
          if (m != null) {
            m.close();
          }
          if (r != null) {
            r.close();
          }
          return null;
        });
  }
}
