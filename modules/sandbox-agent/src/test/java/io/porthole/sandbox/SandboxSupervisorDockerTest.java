package io.porthole.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.config.Settings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Against the real Docker engine that scripts/test makes sure of (never skipped). */
@ExtendWith(VertxExtension.class)
class SandboxSupervisorDockerTest {

  private static JsonObject config(String dockerHost) {
    return Settings.defaults()
        .put(Settings.NODE_ID.name(), "test-node")
        .put(Settings.DOCKER_HOST.name(), dockerHost);
  }

  private static CheckResult docker(CheckResult all) {
    return all.getChecks().stream()
        .filter(c -> c.getId().equals("docker"))
        .findFirst()
        .orElseThrow();
  }

  @Test
  @DisplayName("The real engine answers a ping and has the porthole/devbox image")
  void realEngine() {
    try (ContainerRuntime docker =
        ContainerRuntime.docker(
            Settings.DOCKER_HOST.defaultValue().toString(),
            Duration.ofSeconds(3),
            Duration.ofSeconds(30))) {
      assertThat(docker.ping()).matches("\\d+\\.\\d+.*");
      assertThat(docker.hasImage("porthole/devbox")).isTrue();
      assertThat(docker.hasImage("porthole/no-such-image")).isFalse();
    }
  }

  @Test
  @DisplayName("Readiness reports docker UP with the engine version when the engine answers")
  void dockerUp(Vertx vertx, VertxTestContext ctx) {
    HealthChecks health = HealthChecks.create(vertx);
    vertx
        .deployVerticle(
            new SandboxSupervisorVerticle(health),
            new DeploymentOptions()
                .setConfig(config(Settings.DOCKER_HOST.defaultValue().toString())))
        .compose(id -> health.checkStatus())
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          CheckResult d = docker(r);
                          assertThat(d.getUp()).isTrue();
                          assertThat(d.getData().getString("engine")).isNotBlank();
                          assertThat(d.getData().getBoolean("image_present")).isTrue();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "An engine that does not answer is reported DOWN with the reason, without failing start")
  void dockerDown(Vertx vertx, VertxTestContext ctx) {
    HealthChecks health = HealthChecks.create(vertx);
    vertx
        .deployVerticle(
            new SandboxSupervisorVerticle(health),
            new DeploymentOptions().setConfig(config("unix:///tmp/porthole-no-such-docker.sock")))
        .compose(id -> health.checkStatus())
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          CheckResult d = docker(r);
                          assertThat(d.getUp()).isFalse();
                          assertThat(d.getData().getString("error")).contains("unreachable");
                          ctx.completeNow();
                        })));
  }
}
