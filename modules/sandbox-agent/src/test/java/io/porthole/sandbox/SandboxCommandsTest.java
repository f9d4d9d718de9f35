package io.porthole.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.ErrorCode;
import io.porthole.common.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The command table over a fake engine: body checks, policies, the spec a session gets. */
@ExtendWith(VertxExtension.class)
class SandboxCommandsTest {

  private static final String SID = "ses_01kftf048shs1ca1wnfwy9msb7";

  private final FakeContainerRuntime fake = new FakeContainerRuntime();

  private static SandboxConfig config(Consumer<JsonObject> tweak) {
    JsonObject c =
        Settings.defaults()
            .put(Settings.SANDBOX_ID.name(), "sbx-unit")
            .put(Settings.SANDBOX_DEPTH.name(), 2);
    tweak.accept(c);
    return SandboxConfig.from(c);
  }

  private SessionContainers containers(SandboxConfig cfg) {
    return new SessionContainers(fake, cfg);
  }

  private static Future<ErrorCode> failure(Future<?> f) {
    return f.transform(
        ar ->
            ar.succeeded()
                ? Future.failedFuture(new AssertionError("expected a failure, got " + ar.result()))
                : Future.succeededFuture(ErrorCode.of(ar.cause())));
  }

  private static JsonObject body(String sid) {
    return new JsonObject().put("session_id", sid);
  }

  @Test
  @DisplayName("Every malformed body fails with INVALID and creates nothing")
  void invalidBodies(Vertx vertx, VertxTestContext ctx) {
    SandboxCommands commands = new SandboxCommands(vertx, containers(config(c -> {})));
    List<Future<ErrorCode>> fs = new ArrayList<>();
    fs.add(failure(commands.handle("container.create", new JsonObject())));
    fs.add(failure(commands.handle("container.create", body("../etc"))));
    fs.add(failure(commands.handle("container.create", body(SID).put("image", "Bad Image"))));
    fs.add(failure(commands.handle("container.create", body(SID).put("command", "httpd"))));
    fs.add(failure(commands.handle("container.create", body(SID).put("command", new JsonArray()))));
    fs.add(
        failure(
            commands.handle("container.create", body(SID).put("command", new JsonArray().add(1)))));
    fs.add(
        failure(
            commands.handle(
                "container.create", body(SID).put("env", new JsonObject().put("A=B", "x")))));
    fs.add(
        failure(
            commands.handle(
                "container.create",
                body(SID).put("env", new JsonObject().put("PORTHOLE_SESSION_ID", "other")))));
    fs.add(
        failure(
            commands.handle(
                "container.create", body(SID).put("env", new JsonObject().put("A", 1)))));
    fs.add(
        failure(
            commands.handle(
                "container.create",
                body(SID).put("labels", new JsonObject().put("porthole.sandbox", "x")))));
    fs.add(failure(commands.handle("container.create", body(SID).put("privileged", "yes"))));
    fs.add(failure(commands.handle("container.create", body(SID).put("api_url", "ftp://x"))));
    fs.add(failure(commands.handle("container.logs", body(SID).put("tail", 0))));
    fs.add(failure(commands.handle("container.logs", body(SID).put("max_bytes", 2 << 20))));
    fs.add(failure(commands.handle("container.logs", body(SID).put("tail", 1.5))));
    fs.add(failure(commands.handle("container.status", new JsonObject().put("session_id", 7))));
    fs.add(failure(commands.handle("reconcile", new JsonObject())));
    fs.add(
        failure(
            commands.handle(
                "reconcile", new JsonObject().put("live_sessions", new JsonArray().add(3)))));
    fs.add(failure(commands.handle("container.explode", body(SID))));
    fs.add(failure(commands.handle(null, null)));
    Future.all(fs)
        .onComplete(
            ctx.succeeding(
                all ->
                    ctx.verify(
                        () -> {
                          assertThat(all.<ErrorCode>list()).containsOnly(ErrorCode.INVALID);
                          assertThat(fake.names()).isEmpty();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Privileged and host-Docker requests are FORBIDDEN unless the sandbox allows them")
  void privilegesRefused(Vertx vertx, VertxTestContext ctx) {
    SandboxCommands commands = new SandboxCommands(vertx, containers(config(c -> {})));
    Future.all(
            failure(commands.handle("container.create", body(SID).put("privileged", true))),
            failure(commands.handle("container.create", body(SID).put("host_docker", true))))
        .onComplete(
            ctx.succeeding(
                all ->
                    ctx.verify(
                        () -> {
                          assertThat(all.<ErrorCode>list()).containsOnly(ErrorCode.FORBIDDEN);
                          assertThat(fake.names()).isEmpty();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "A created container carries the labels, env, limits, volume and network of its session")
  void spec(Vertx vertx, VertxTestContext ctx) {
    SandboxConfig cfg =
        config(
            c ->
                c.put(Settings.SANDBOX_ALLOW_HOST_DOCKER.name(), true)
                    .put(Settings.SANDBOX_CPU_MILLIS.name(), 1500)
                    .put(Settings.SANDBOX_MEMORY_MB.name(), 512));
    SandboxCommands commands = new SandboxCommands(vertx, containers(cfg));
    JsonObject req =
        body(SID)
            .put("command", new JsonArray().add("/bin/httpd").add("-f"))
            .put("env", new JsonObject().put("EDITOR", "vi"))
            .put("labels", new JsonObject().put("team", "blue"))
            .put("host_docker", true)
            .put("api_url", "http://api.internal:8080");
    commands
        .handle("container.create", req)
        .onComplete(
            ctx.succeeding(
                reply ->
                    ctx.verify(
                        () -> {
                          assertThat(reply.getString("session_id")).isEqualTo(SID);
                          assertThat(reply.getString("ip")).startsWith("10.214.");
                          assertThat(reply.getString("status")).isEqualTo("running");
                          ContainerSpec spec = fake.created.get(0);
                          String name = "porthole-sbx-unit-" + SID;
                          assertThat(spec.name()).isEqualTo(name);
                          assertThat(spec.image()).isEqualTo("porthole/devbox");
                          assertThat(spec.hostname()).isEqualTo("ses-01kftf048shs1ca1wnfwy9msb7");
                          assertThat(SessionContainers.hostname("a_" + "b".repeat(80))).hasSize(63);
                          assertThat(spec.command()).containsExactly("/bin/httpd", "-f");
                          assertThat(spec.labels())
                              .containsEntry("porthole.session", SID)
                              .containsEntry("porthole.sandbox", "sbx-unit")
                              .containsEntry("porthole.depth", "2")
                              .containsEntry("team", "blue");
                          assertThat(spec.env())
                              .containsEntry("PORTHOLE_SESSION_ID", SID)
                              .containsEntry("PORTHOLE_API_URL", "http://api.internal:8080")
                              .containsEntry("PORTHOLE_SANDBOX_DEPTH", "3")
                              .containsEntry("EDITOR", "vi");
                          assertThat(spec.volumes())
                              .containsExactly(Map.entry(name + "-docker", "/var/lib/docker"));
                          assertThat(spec.binds())
                              .containsExactly(
                                  Map.entry("/var/run/docker.sock", "/var/run/host-docker.sock"));
                          assertThat(spec.network()).isEqualTo(name);
                          assertThat(spec.nanoCpus()).isEqualTo(1_500_000_000L);
                          assertThat(spec.memoryBytes()).isEqualTo(512L << 20);
                          assertThat(spec.privileged()).isFalse();
                          assertThat(fake.names())
                              .containsExactlyInAnyOrder(
                                  "container " + name,
                                  "network " + name,
                                  "volume " + name + "-docker");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Creating an existing session's container returns it without creating another")
  void idempotent(Vertx vertx, VertxTestContext ctx) {
    SandboxCommands commands = new SandboxCommands(vertx, containers(config(c -> {})));
    commands
        .handle("container.create", body(SID))
        .compose(
            first ->
                commands
                    .handle("container.create", body(SID))
                    .map(second -> List.of(first, second)))
        .onComplete(
            ctx.succeeding(
                both ->
                    ctx.verify(
                        () -> {
                          assertThat(both.get(1).getString("container_id"))
                              .isEqualTo(both.get(0).getString("container_id"));
                          assertThat(fake.created).hasSize(1);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "resolveTarget refuses bad ports, bad and unknown sessions, and forgets a container that died")
  void targets(Vertx vertx, VertxTestContext ctx) {
    SessionContainers containers = containers(config(c -> {}));
    SandboxCommands commands = new SandboxCommands(vertx, containers);
    EngineMonitor monitor = new EngineMonitor(vertx, fake, containers);
    List<Future<ErrorCode>> refusals =
        List.of(
            failure(commands.resolveTarget(SID, 0)),
            failure(commands.resolveTarget(SID, 65536)),
            failure(commands.resolveTarget("10.0.0.1:22", 80)),
            failure(commands.resolveTarget("ses_unknown", 80)));
    Future.all(refusals)
        .compose(r -> monitor.probe())
        .compose(up -> commands.handle("container.create", body(SID)))
        .compose(
            created ->
                commands
                    .resolveTarget(SID, 8080)
                    .map(
                        addr -> {
                          assertThat(addr.host()).isEqualTo(created.getString("ip"));
                          assertThat(addr.port()).isEqualTo(8080);
                          assertThat(containers.cachedIp(SID)).contains(created.getString("ip"));
                          fake.kill(created.getString("container_id"));
                          assertThat(containers.cachedIp(SID)).isEmpty();
                          return addr;
                        }))
        .compose(addr -> failure(commands.resolveTarget(SID, 8080)))
        .onComplete(
            ctx.succeeding(
                died ->
                    ctx.verify(
                        () -> {
                          assertThat(refusals.stream().map(Future::result))
                              .containsExactly(
                                  ErrorCode.INVALID,
                                  ErrorCode.INVALID,
                                  ErrorCode.INVALID,
                                  ErrorCode.NOT_FOUND);
                          assertThat(died).isEqualTo(ErrorCode.BAD_GATEWAY);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("container.ports lists what /proc/net/tcp* shows listening")
  void ports(Vertx vertx, VertxTestContext ctx) {
    fake.procNet =
        "  sl  local_address rem_address   st\n"
            + "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n";
    SandboxCommands commands = new SandboxCommands(vertx, containers(config(c -> {})));
    commands
        .handle("container.create", body(SID))
        .compose(x -> commands.handle("container.ports", body(SID)))
        .onComplete(
            ctx.succeeding(
                reply ->
                    ctx.verify(
                        () -> {
                          assertThat(reply.getJsonArray("ports"))
                              .containsExactly(
                                  new JsonObject()
                                      .put("port", 8080)
                                      .put("protocol", "tcp")
                                      .put("address", "0.0.0.0"));
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "With the engine down every command fails UNAVAILABLE; the probe sees it back and work resumes")
  void engineDown(Vertx vertx, VertxTestContext ctx) {
    SessionContainers containers = containers(config(c -> {}));
    SandboxCommands commands = new SandboxCommands(vertx, containers);
    EngineMonitor monitor = new EngineMonitor(vertx, fake, containers);
    fake.down = true;
    List<Future<ErrorCode>> downs =
        List.of(
            failure(commands.handle("container.create", body(SID))),
            failure(commands.handle("container.list", null)),
            failure(commands.resolveTarget(SID, 80)));
    Future.all(downs)
        .compose(x -> monitor.probe())
        .compose(
            up -> {
              assertThat(up).isFalse();
              fake.down = false;
              return monitor.probe();
            })
        .compose(
            up ->
                commands
                    .handle("container.create", body(SID))
                    .compose(created -> commands.resolveTarget(SID, 80))
                    .map(up))
        .onComplete(
            ctx.succeeding(
                up ->
                    ctx.verify(
                        () -> {
                          assertThat(downs.stream().map(Future::result))
                              .containsOnly(ErrorCode.UNAVAILABLE);
                          assertThat(up).isTrue();
                          assertThat(monitor.up()).isTrue();
                          assertThat(containers.cachedIp(SID)).isPresent();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("reconcile adopts live sessions and removes every object of the others")
  void reconcile(Vertx vertx, VertxTestContext ctx) {
    SessionContainers containers = containers(config(c -> {}));
    SandboxCommands commands = new SandboxCommands(vertx, containers);
    commands
        .handle("container.create", body("ses_live"))
        .compose(x -> commands.handle("container.create", body("ses_gone")))
        .compose(
            x ->
                commands.handle(
                    "reconcile",
                    new JsonObject().put("live_sessions", new JsonArray().add("ses_live"))))
        .onComplete(
            ctx.succeeding(
                reply ->
                    ctx.verify(
                        () -> {
                          assertThat(reply.getJsonArray("adopted")).containsExactly("ses_live");
                          assertThat(reply.getJsonArray("removed")).containsExactly("ses_gone");
                          assertThat(fake.names()).noneMatch(n -> n.contains("ses_gone"));
                          assertThat(fake.names()).anyMatch(n -> n.contains("ses_live"));
                          assertThat(containers.cachedIp("ses_live")).isPresent();
                          ctx.completeNow();
                        })));
  }
}
