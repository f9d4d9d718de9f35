package io.porthole.sandbox;

import static io.porthole.sandbox.DockerFixtures.failure;
import static io.porthole.sandbox.DockerFixtures.leftovers;
import static io.porthole.sandbox.DockerFixtures.poll;
import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.ErrorCode;
import io.porthole.common.config.Settings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Dev containers on the real Docker engine (never skipped). Every object carries a sandbox id
 * random to this run; {@link #cleanUp} removes them all.
 */
@ExtendWith(VertxExtension.class)
class SessionContainersDockerTest {

  private static final String SANDBOX = DockerFixtures.randomSandboxId("it");
  private static final String OTHER = DockerFixtures.randomSandboxId("it-other");
  private static final String CRASH = DockerFixtures.randomSandboxId("it-crash");
  private static final List<String> HTTPD = List.of("/bin/httpd", "-f", "-p", "8080", "-h", "/www");

  private static ContainerRuntime docker;
  private HttpClient http;

  @BeforeAll
  static void engine() {
    docker = DockerFixtures.docker();
  }

  @AfterAll
  static void cleanUp() {
    DockerFixtures.removeAll(docker, SANDBOX, OTHER, CRASH);
    docker.close();
  }

  @AfterEach
  void closeClient() {
    if (http != null) {
      http.close();
    }
  }

  private static SessionContainers containers(String sandboxId, JsonObject extra) {
    return new SessionContainers(
        docker, SandboxConfig.from(DockerFixtures.config(sandboxId).mergeIn(extra)));
  }

  private static JsonObject body(String sid) {
    return new JsonObject().put("session_id", sid);
  }

  private Future<String> get(Vertx vertx, SocketAddress target) {
    if (http == null) {
      http = vertx.createHttpClient();
    }
    return http.request(HttpMethod.GET, target.port(), target.host(), "/index.html")
        .compose(req -> req.send())
        .compose(
            (HttpClientResponse resp) ->
                resp.statusCode() == 200
                    ? resp.body().map(Buffer::toString)
                    : Future.failedFuture("HTTP " + resp.statusCode()));
  }

  @Test
  @DisplayName(
      "A session's container serves HTTP at the IP resolveTarget gives; ports, logs, status and"
          + " list see it; remove leaves no container, network or volume")
  void lifecycle(Vertx vertx, VertxTestContext ctx) {
    String sid = "ses_life1";
    SessionContainers containers = containers(SANDBOX, new JsonObject());
    SandboxCommands commands = new SandboxCommands(vertx, containers);
    String name = containers.containerName(sid);
    String script =
        "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done; exec "
            + String.join(" ", HTTPD);
    JsonObject create =
        body(sid).put("command", new JsonArray().add("/bin/sh").add("-c").add(script));
    JsonObject seen = new JsonObject();
    commands
        .handle("container.create", create)
        .compose(
            created -> {
              seen.put("created", created);
              return commands.resolveTarget(sid, 8080);
            })
        .compose(
            target -> {
              seen.put("target", target.host() + ":" + target.port());
              // only the container this test started is ever contacted
              return poll(vertx, () -> get(vertx, target), 50, 100);
            })
        .compose(
            page -> {
              seen.put("page", page);
              return commands.handle("container.ports", body(sid));
            })
        .compose(
            ports -> {
              seen.put("ports", ports);
              return commands.handle("container.logs", body(sid).put("tail", 5));
            })
        .compose(
            logs -> {
              seen.put("logs", logs);
              return commands.handle(
                  "container.logs", body(sid).put("tail", 300).put("max_bytes", 64));
            })
        .compose(
            bounded -> {
              seen.put("bounded", bounded);
              return commands.handle("container.status", body(sid));
            })
        .compose(
            status -> {
              seen.put("status", status);
              return commands.handle("container.list", null);
            })
        .compose(
            list -> {
              seen.put("list", list);
              return commands.handle("container.create", create);
            })
        .compose(
            again -> {
              seen.put("again", again);
              return commands.handle("container.remove", body(sid));
            })
        .compose(
            removed -> {
              seen.put("removed", removed);
              return commands.handle("container.remove", body(sid));
            })
        .compose(
            removedAgain -> {
              seen.put("removed_again", removedAgain);
              return failure(commands.resolveTarget(sid, 8080));
            })
        .onComplete(
            ctx.succeeding(
                afterRemove ->
                    ctx.verify(
                        () -> {
                          JsonObject created = seen.getJsonObject("created");
                          String ip = created.getString("ip");
                          assertThat(created.getString("status")).isEqualTo("running");
                          assertThat(ip).matches("10\\.212\\.\\d+\\.\\d+");
                          assertThat(seen.getString("target")).isEqualTo(ip + ":8080");
                          assertThat(seen.getString("page"))
                              .contains("Hello from a Porthole dev container");
                          assertThat(seen.getJsonObject("ports").getJsonArray("ports").stream())
                              .anyMatch(p -> ((JsonObject) p).getInteger("port") == 8080);
                          JsonObject logs = seen.getJsonObject("logs");
                          assertThat(logs.getString("logs"))
                              .isEqualTo("line-295\nline-296\nline-297\nline-298\nline-299\n");
                          assertThat(logs.getBoolean("truncated")).isFalse();
                          JsonObject bounded = seen.getJsonObject("bounded");
                          assertThat(bounded.getBoolean("truncated")).isTrue();
                          assertThat(bounded.getString("logs")).hasSizeLessThanOrEqualTo(64);
                          assertThat(bounded.getString("logs")).endsWith("line-299\n");
                          JsonObject status = seen.getJsonObject("status");
                          assertThat(status.getBoolean("running")).isTrue();
                          assertThat(status.getString("ip")).isEqualTo(ip);
                          assertThat(seen.getJsonObject("list").getJsonArray("containers"))
                              .anyMatch(c -> sid.equals(((JsonObject) c).getString("session_id")));
                          assertThat(seen.getJsonObject("again").getString("container_id"))
                              .isEqualTo(created.getString("container_id"));
                          assertThat(seen.getJsonObject("removed").getBoolean("removed")).isTrue();
                          assertThat(seen.getJsonObject("removed_again").getBoolean("removed"))
                              .isFalse();
                          assertThat(afterRemove).isEqualTo(ErrorCode.NOT_FOUND);
                          assertThat(docker.inspectContainer(name)).isEmpty();
                          assertThat(leftovers(docker, SANDBOX, sid)).isEmpty();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "resolveTarget refuses unknown sessions, another sandbox's containers (even under this"
          + " sandbox's name) and bad ports; reconcile leaves another sandbox's objects alone")
  void refusals(Vertx vertx, VertxTestContext ctx) {
    SessionContainers containers = containers(SANDBOX, new JsonObject());
    SandboxCommands commands = new SandboxCommands(vertx, containers);
    Map<String, String> foreign =
        Map.of(
            SessionContainers.LABEL_SANDBOX,
            OTHER,
            SessionContainers.LABEL_SESSION,
            "ses_foreign",
            SessionContainers.LABEL_DEPTH,
            "0");
    Map<String, String> impostor =
        Map.of(
            SessionContainers.LABEL_SANDBOX,
            OTHER,
            SessionContainers.LABEL_SESSION,
            "ses_impostor",
            SessionContainers.LABEL_DEPTH,
            "0");
    List<ErrorCode> refused = new java.util.ArrayList<>();
    vertx
        .executeBlocking(
            () -> {
              for (Map.Entry<String, Map<String, String>> e :
                  Map.of(
                          "porthole-" + OTHER + "-ses_foreign",
                          foreign,
                          containers.containerName("ses_impostor"),
                          impostor)
                      .entrySet()) {
                String id =
                    docker.createContainer(
                        new ContainerSpec(
                            e.getKey(),
                            "porthole/devbox",
                            HTTPD,
                            "foreign",
                            Map.of(),
                            e.getValue(),
                            "bridge",
                            Map.of(),
                            Map.of(),
                            0,
                            0,
                            false,
                            List.of()));
                docker.startContainer(id);
              }
              return null;
            })
        .compose(
            x ->
                Future.all(
                    List.of(
                        failure(commands.resolveTarget("ses_foreign", 8080)),
                        failure(commands.resolveTarget("ses_impostor", 8080)),
                        failure(commands.resolveTarget("ses_nobody", 8080)),
                        failure(commands.resolveTarget("ses_nobody", 0)),
                        failure(commands.resolveTarget("ses_nobody", 65536)),
                        failure(commands.resolveTarget("10.0.0.1:22", 80)),
                        failure(commands.resolveTarget("172.17.0.1", 80)),
                        failure(commands.handle("container.status", body("ses_foreign"))),
                        failure(
                            commands.handle(
                                "container.create", body("ses_priv").put("privileged", true))))))
        .compose(
            codes -> {
              refused.addAll(codes.list());
              return commands.handle(
                  "reconcile", new JsonObject().put("live_sessions", new JsonArray()));
            })
        .onComplete(
            ctx.succeeding(
                reconciled ->
                    ctx.verify(
                        () -> {
                          assertThat(refused)
                              .containsExactly(
                                  ErrorCode.NOT_FOUND,
                                  ErrorCode.NOT_FOUND,
                                  ErrorCode.NOT_FOUND,
                                  ErrorCode.INVALID,
                                  ErrorCode.INVALID,
                                  ErrorCode.INVALID,
                                  ErrorCode.NOT_FOUND,
                                  ErrorCode.NOT_FOUND,
                                  ErrorCode.FORBIDDEN);
                          assertThat(leftovers(docker, SANDBOX, "ses_priv")).isEmpty();
                          assertThat(
                                  docker.listContainers(
                                      Map.of(SessionContainers.LABEL_SANDBOX, OTHER)))
                              .hasSize(2)
                              .allMatch(ContainerInfo::running);
                          assertThat(reconciled.getJsonArray("removed")).isEmpty();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "After a supervisor crash a new one re-reads the IPs and reconcile removes the orphan's"
          + " container, network and volume while adopting the live session")
  void crashAndReconcile(Vertx vertx, VertxTestContext ctx) {
    HealthChecks health = HealthChecks.create(vertx);
    DeploymentOptions options = new DeploymentOptions().setConfig(DockerFixtures.config(CRASH));
    SandboxSupervisorVerticle first = new SandboxSupervisorVerticle(health);
    SandboxSupervisorVerticle second = new SandboxSupervisorVerticle(health);
    JsonObject seen = new JsonObject();
    vertx
        .deployVerticle(first, options)
        .compose(
            id ->
                Future.all(
                        first
                            .commands()
                            .handle(
                                "container.create",
                                body("ses_live").put("command", new JsonArray(HTTPD))),
                        first.commands().handle("container.create", body("ses_orphan")))
                    .compose(created -> vertx.undeploy(id)))
        .compose(x -> vertx.deployVerticle(second, options))
        .compose(x -> second.resolveTarget("ses_live", 8080))
        .compose(
            target -> {
              seen.put("restart_target", target.host());
              return second
                  .commands()
                  .handle(
                      "reconcile",
                      new JsonObject().put("live_sessions", new JsonArray().add("ses_live")));
            })
        .compose(
            reconciled -> {
              seen.put("reconciled", reconciled);
              return second.resolveTarget("ses_live", 8080);
            })
        .compose(
            target -> {
              seen.put("target", target.host());
              return poll(vertx, () -> get(vertx, target), 50, 100);
            })
        .onComplete(
            ctx.succeeding(
                page ->
                    ctx.verify(
                        () -> {
                          JsonObject r = seen.getJsonObject("reconciled");
                          assertThat(r.getJsonArray("adopted")).containsExactly("ses_live");
                          assertThat(r.getJsonArray("removed")).containsExactly("ses_orphan");
                          assertThat(leftovers(docker, CRASH, "ses_orphan")).isEmpty();
                          String name = "porthole-" + CRASH + "-ses_live";
                          String inspected =
                              docker.inspectContainer(name).orElseThrow().ips().get(name);
                          assertThat(seen.getString("restart_target")).isEqualTo(inspected);
                          assertThat(seen.getString("target")).isEqualTo(inspected);
                          assertThat(page).contains("Hello from a Porthole dev container");
                          assertThat(leftovers(docker, CRASH, "ses_live"))
                              .containsExactlyInAnyOrder(
                                  "container " + name,
                                  "network " + name,
                                  "volume " + name + "-docker");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "A container that stops is forgotten by its event, refused while stopped, and found at its"
          + " new inspect IP once started again")
  void restart(Vertx vertx, VertxTestContext ctx) {
    String sid = "ses_restart";
    SessionContainers containers = containers(SANDBOX, new JsonObject());
    SandboxCommands commands = new SandboxCommands(vertx, containers);
    EngineMonitor monitor = new EngineMonitor(vertx, docker, containers);
    String name = containers.containerName(sid);
    JsonObject seen = new JsonObject();
    monitor
        .probe()
        .compose(up -> commands.handle("container.create", body(sid)))
        .compose(created -> commands.resolveTarget(sid, 80))
        .compose(
            first -> {
              seen.put("first", first.host());
              return vertx.executeBlocking(
                  () -> {
                    docker.stopContainer(name, Duration.ofSeconds(5));
                    return null;
                  });
            })
        .compose(
            x ->
                poll(
                    vertx,
                    () ->
                        containers.cachedIp(sid).isEmpty()
                            ? Future.succeededFuture()
                            : Future.failedFuture("still remembered"),
                    50,
                    100))
        .compose(x -> failure(commands.resolveTarget(sid, 80)))
        .compose(
            stopped -> {
              seen.put("stopped", stopped.name());
              return vertx.executeBlocking(
                  () -> {
                    docker.startContainer(name);
                    return docker.inspectContainer(name).orElseThrow().ips().get(name);
                  });
            })
        .compose(
            inspected -> {
              seen.put("inspected", inspected);
              return commands.resolveTarget(sid, 80);
            })
        .eventually(
            () ->
                vertx.executeBlocking(
                    () -> {
                      monitor.close();
                      return null;
                    }))
        .onComplete(
            ctx.succeeding(
                again ->
                    ctx.verify(
                        () -> {
                          assertThat(seen.getString("first")).matches("10\\.212\\.\\d+\\.\\d+");
                          assertThat(seen.getString("stopped"))
                              .isEqualTo(ErrorCode.BAD_GATEWAY.name());
                          assertThat(again.host()).isEqualTo(seen.getString("inspected"));
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "With no engine behind the socket, commands, resolveTarget and the probe fail UNAVAILABLE"
          + " fast")
  void engineDown(Vertx vertx, VertxTestContext ctx) {
    ContainerRuntime none =
        ContainerRuntime.docker(
            "unix:///tmp/porthole-no-such-docker-" + SANDBOX + ".sock",
            Duration.ofSeconds(3),
            Duration.ofSeconds(30));
    SessionContainers containers =
        new SessionContainers(
            none,
            SandboxConfig.from(
                DockerFixtures.config(SANDBOX)
                    .put(Settings.DOCKER_HOST.name(), "unix:///tmp/none.sock")));
    SandboxCommands commands = new SandboxCommands(vertx, containers);
    EngineMonitor monitor = new EngineMonitor(vertx, none, containers);
    long t0 = System.nanoTime();
    List<ErrorCode> codes = new java.util.ArrayList<>();
    Future.all(
            List.of(
                failure(new SandboxSupervisorVerticle(null).resolveTarget("ses_down", 8080)),
                failure(new SandboxSupervisorVerticle(null).handle("container.list", null)),
                failure(commands.handle("container.create", body("ses_down"))),
                failure(commands.handle("container.status", body("ses_down"))),
                failure(commands.handle("container.list", null)),
                failure(
                    commands.handle(
                        "reconcile", new JsonObject().put("live_sessions", new JsonArray()))),
                failure(commands.resolveTarget("ses_down", 8080))))
        .compose(
            all -> {
              codes.addAll(all.list());
              return monitor.probe();
            })
        .eventually(
            () ->
                vertx.executeBlocking(
                    () -> {
                      none.close();
                      return null;
                    }))
        .onComplete(
            ctx.succeeding(
                up ->
                    ctx.verify(
                        () -> {
                          assertThat(codes).hasSize(7).containsOnly(ErrorCode.UNAVAILABLE);
                          assertThat(up).isFalse();
                          assertThat(monitor.up()).isFalse();
                          assertThat(Duration.ofNanos(System.nanoTime() - t0))
                              .isLessThan(Duration.ofSeconds(3));
                          ctx.completeNow();
                        })));
  }
}
