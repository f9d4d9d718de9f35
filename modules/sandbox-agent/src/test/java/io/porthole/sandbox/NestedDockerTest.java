package io.porthole.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.common.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * "Porthole runs Porthole": a privileged session whose /var/lib/docker is a volume runs its own
 * Docker engine (vfs storage) and a container of its own, on the real engine (never skipped).
 */
@ExtendWith(VertxExtension.class)
class NestedDockerTest {

  private static final String SANDBOX = DockerFixtures.randomSandboxId("it-nest");
  private static final String IMAGE = "porthole/devbox-docker";
  private static final String SID = "ses_nested";

  /** Capability names by bit, as far as Docker 20.10 knows them (CAP_AUDIT_READ = 37). */
  private static final List<String> CAPS =
      List.of(
          "CHOWN",
          "DAC_OVERRIDE",
          "DAC_READ_SEARCH",
          "FOWNER",
          "FSETID",
          "KILL",
          "SETGID",
          "SETUID",
          "SETPCAP",
          "LINUX_IMMUTABLE",
          "NET_BIND_SERVICE",
          "NET_BROADCAST",
          "NET_ADMIN",
          "NET_RAW",
          "IPC_LOCK",
          "IPC_OWNER",
          "SYS_MODULE",
          "SYS_RAWIO",
          "SYS_CHROOT",
          "SYS_PTRACE",
          "SYS_PACCT",
          "SYS_ADMIN",
          "SYS_BOOT",
          "SYS_NICE",
          "SYS_RESOURCE",
          "SYS_TIME",
          "SYS_TTY_CONFIG",
          "MKNOD",
          "LEASE",
          "AUDIT_WRITE",
          "AUDIT_CONTROL",
          "SETFCAP",
          "MAC_OVERRIDE",
          "MAC_ADMIN",
          "SYSLOG",
          "WAKE_ALARM",
          "BLOCK_SUSPEND",
          "AUDIT_READ");

  private static ContainerRuntime docker;
  private static List<String> missingCaps;

  @BeforeAll
  static void image() throws IOException, InterruptedException {
    // idempotent: builds porthole/devbox-docker from the host's docker.io binaries when missing
    Process build =
        new ProcessBuilder(Path.of("../../scripts/devbox-docker-image").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertThat(build.waitFor(5, TimeUnit.MINUTES)).as("devbox-docker-image finished").isTrue();
    assertThat(build.exitValue()).as("devbox-docker-image exit code").isZero();
    docker = DockerFixtures.docker();
    assertThat(docker.hasImage(IMAGE)).isTrue();
    missingCaps = missingCapabilities();
  }

  @AfterAll
  static void cleanUp() {
    DockerFixtures.removeAll(docker, SANDBOX);
    docker.close();
  }

  /**
   * The capabilities this host's bounding set lacks (the engine runs under the same one here):
   * Docker's --privileged asks for all of them, and runc fails with "unable to apply caps" when one
   * is missing.
   */
  private static List<String> missingCapabilities() throws IOException {
    BigInteger bounding = BigInteger.ZERO;
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("CapBnd:")) {
        bounding = new BigInteger(line.substring(7).trim(), 16);
      }
    }
    List<String> out = new ArrayList<>();
    for (int bit = 0; bit < CAPS.size(); bit++) {
      if (!bounding.testBit(bit)) {
        out.add(CAPS.get(bit));
      }
    }
    return out;
  }

  private static SandboxCommands commands(Vertx vertx, List<String> dropCaps) {
    JsonObject cfg =
        DockerFixtures.config(SANDBOX)
            .put(Settings.SANDBOX_ALLOW_PRIVILEGED.name(), true)
            .put(Settings.SANDBOX_PRIVILEGED_DROP_CAPS.name(), new JsonArray(dropCaps))
            .put(Settings.SANDBOX_MEMORY_MB.name(), 1024)
            .put(Settings.SANDBOX_CPU_MILLIS.name(), 1000);
    return new SandboxCommands(vertx, new SessionContainers(docker, SandboxConfig.from(cfg)));
  }

  private static Future<ExecResult> exec(Vertx vertx, String script, Duration timeout) {
    String name = "porthole-" + SANDBOX + "-" + SID;
    return vertx.executeBlocking(
        () -> docker.exec(name, List.of("/bin/sh", "-c", script), 16 * 1024, timeout), false);
  }

  @Test
  @Timeout(value = 4, timeUnit = TimeUnit.MINUTES)
  @DisplayName(
      "A privileged session with a volume-backed /var/lib/docker starts dockerd (vfs) and runs a"
          + " container of its own")
  void nested(Vertx vertx, VertxTestContext ctx) {
    SandboxCommands commands = commands(vertx, missingCaps);
    JsonObject create =
        new JsonObject().put("session_id", SID).put("image", IMAGE).put("privileged", true);
    JsonObject seen = new JsonObject();
    commands
        .handle("container.create", create)
        .compose(
            created -> {
              seen.put("created", created);
              return exec(vertx, "grep ' /var/lib/docker ' /proc/mounts", Duration.ofSeconds(10));
            })
        .compose(
            mounts -> {
              seen.put("mounts", mounts.output());
              return exec(
                  vertx,
                  "start-dockerd && docker info --format '{{.Driver}}'",
                  Duration.ofSeconds(90));
            })
        .compose(
            engine -> {
              seen.put("engine", engine.exitCode() + ":" + engine.output());
              return exec(
                  vertx,
                  "set -e; rm -rf /tmp/tiny; mkdir -p /tmp/tiny/bin; cp /bin/busybox /tmp/tiny/bin/;"
                      + " ln -s busybox /tmp/tiny/bin/sh; ln -s busybox /tmp/tiny/bin/echo;"
                      + " tar -C /tmp/tiny -c . | docker import - tiny >/dev/null;"
                      + " docker run --rm --network none tiny /bin/echo hello-from-nested-docker",
                  Duration.ofSeconds(120));
            })
        .compose(
            run -> {
              seen.put("run", run.exitCode() + ":" + run.output());
              return commands.handle("container.remove", new JsonObject().put("session_id", SID));
            })
        .onComplete(
            ctx.succeeding(
                removed ->
                    ctx.verify(
                        () -> {
                          assertThat(seen.getJsonObject("created").getString("status"))
                              .isEqualTo("running");
                          // the volume is the host's filesystem, not overlay on overlay
                          assertThat(seen.getString("mounts"))
                              .contains("/var/lib/docker")
                              .doesNotContain("overlay");
                          assertThat(seen.getString("engine")).isEqualTo("0:vfs\n");
                          assertThat(seen.getString("run"))
                              .isEqualTo("0:hello-from-nested-docker\n");
                          assertThat(removed.getBoolean("removed")).isTrue();
                          assertThat(DockerFixtures.leftovers(docker, SANDBOX, SID)).isEmpty();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName(
      "Where the engine cannot grant every capability, plain --privileged fails with a hint naming"
          + " sandbox.privileged_drop_caps and leaves nothing behind")
  void privilegedHint(Vertx vertx, VertxTestContext ctx) {
    SandboxCommands commands = commands(vertx, List.of());
    String sid = "ses_hint";
    commands
        .handle("container.create", new JsonObject().put("session_id", sid).put("privileged", true))
        .transform(ar -> Future.succeededFuture(ar))
        .onComplete(
            ctx.succeeding(
                ar ->
                    ctx.verify(
                        () -> {
                          if (missingCaps.isEmpty()) {
                            assertThat(ar.succeeded())
                                .as("privileged create %s", ar.cause())
                                .isTrue();
                          } else {
                            assertThat(ar.cause())
                                .isInstanceOfSatisfying(
                                    PortholeException.class,
                                    e -> {
                                      assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
                                      assertThat(e.getMessage())
                                          .contains("sandbox.privileged_drop_caps");
                                    });
                            assertThat(DockerFixtures.leftovers(docker, SANDBOX, sid)).isEmpty();
                          }
                          ctx.completeNow();
                        })));
  }
}
