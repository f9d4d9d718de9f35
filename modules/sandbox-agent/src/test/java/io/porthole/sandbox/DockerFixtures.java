package io.porthole.sandbox;

import io.porthole.common.ErrorCode;
import io.porthole.common.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/** Shared helpers of the real-Docker tests: ids, configuration, bounded polling, clean-up. */
final class DockerFixtures {

  static final String DOCKER_HOST = Settings.DOCKER_HOST.defaultValue().toString();

  private DockerFixtures() {}

  /** A sandbox id no other test run uses, so its labels select only this run's objects. */
  static String randomSandboxId(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static ContainerRuntime docker() {
    return ContainerRuntime.docker(DOCKER_HOST, Duration.ofSeconds(3), Duration.ofSeconds(30));
  }

  /**
   * Loaded-configuration defaults for one sandbox, with the probe slowed to stay out of the way.
   */
  static JsonObject config(String sandboxId) {
    return Settings.defaults()
        .put(Settings.NODE_ID.name(), "test-node")
        .put(Settings.SANDBOX_ID.name(), sandboxId)
        .put(Settings.SANDBOX_CPU_MILLIS.name(), 500)
        .put(Settings.SANDBOX_MEMORY_MB.name(), 256)
        .put(Settings.SANDBOX_PROBE_INTERVAL_MS.name(), 60_000);
  }

  /** Removes every container, network and volume labelled for these sandboxes. */
  static void removeAll(ContainerRuntime docker, String... sandboxIds) {
    for (String id : sandboxIds) {
      Map<String, String> mine = Map.of(SessionContainers.LABEL_SANDBOX, id);
      docker.listContainers(mine).forEach(c -> docker.removeContainer(c.id()));
      docker.listNetworks(mine).forEach(n -> docker.removeNetwork(n.id()));
      docker.listVolumes(mine).forEach(v -> docker.removeVolume(v.name()));
    }
  }

  /** Everything left labelled for one session of one sandbox, as "kind name" strings. */
  static java.util.List<String> leftovers(ContainerRuntime docker, String sandboxId, String sid) {
    Map<String, String> l =
        Map.of(SessionContainers.LABEL_SANDBOX, sandboxId, SessionContainers.LABEL_SESSION, sid);
    java.util.List<String> out = new java.util.ArrayList<>();
    docker.listContainers(l).forEach(c -> out.add("container " + c.name()));
    docker.listNetworks(l).forEach(n -> out.add("network " + n.name()));
    docker.listVolumes(l).forEach(v -> out.add("volume " + v.name()));
    return out;
  }

  /**
   * Retries {@code attempt} until it succeeds, at most {@code tries} times, {@code delayMs} apart.
   */
  static <T> Future<T> poll(Vertx vertx, Supplier<Future<T>> attempt, int tries, long delayMs) {
    return attempt
        .get()
        .recover(
            err ->
                tries <= 1
                    ? Future.failedFuture(err)
                    : vertx.timer(delayMs).compose(x -> poll(vertx, attempt, tries - 1, delayMs)));
  }

  /** The error code a future fails with; fails itself when the future succeeds. */
  static Future<ErrorCode> failure(Future<?> f) {
    return f.transform(
        ar ->
            ar.succeeded()
                ? Future.failedFuture(new AssertionError("expected a failure, got " + ar.result()))
                : Future.succeededFuture(ErrorCode.of(ar.cause())));
  }
}
