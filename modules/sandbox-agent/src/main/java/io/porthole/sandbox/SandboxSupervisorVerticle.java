package io.porthole.sandbox;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox side: owns the Docker engine connection. Contributes the {@code docker} readiness
 * check (engine answers and the dev-container image exists). Every docker-java call runs on a
 * worker thread.
 */
public class SandboxSupervisorVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(SandboxSupervisorVerticle.class);

  private final HealthChecks health;
  private final Function<SandboxConfig, ContainerRuntime> runtimes;
  private ContainerRuntime runtime;

  public SandboxSupervisorVerticle(HealthChecks health) {
    this(
        health,
        c ->
            ContainerRuntime.docker(c.dockerHost(), Duration.ofSeconds(3), Duration.ofSeconds(30)));
  }

  /** With a runtime factory, so tests can supply a fake engine. */
  public SandboxSupervisorVerticle(
      HealthChecks health, Function<SandboxConfig, ContainerRuntime> runtimes) {
    this.health = health;
    this.runtimes = runtimes;
  }

  @Override
  public Future<?> start() {
    SandboxConfig cfg = SandboxConfig.from(config());
    runtime = runtimes.apply(cfg);
    health.register("docker", 5000, p -> dockerStatus(cfg).onComplete(p));
    // A Docker engine that is down at start-up is not fatal: readiness says so, and work resumes
    // when it answers.
    return dockerStatus(cfg)
        .onSuccess(
            s ->
                log.info(
                    "sandbox {} on Docker {} (depth {}): {}",
                    cfg.sandboxId(),
                    cfg.dockerHost(),
                    cfg.depth(),
                    s.getData()))
        .mapEmpty();
  }

  private Future<Status> dockerStatus(SandboxConfig cfg) {
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
    health.unregister("docker");
    return vertx.executeBlocking(
        () -> {
          runtime.close();
          return null;
        });
  }
}
