package io.porthole.sandbox.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.common.config.Settings;
import io.porthole.sandbox.ContainerInfo;
import io.porthole.sandbox.ContainerSpec;
import io.porthole.sandbox.ExecResult;
import io.porthole.sandbox.ProcNetTcp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The docker-java runtime against the real engine (never skipped), and its tail buffer. */
class DockerContainerRuntimeTest {

  private static final String SANDBOX = "it-rt-" + UUID.randomUUID().toString().substring(0, 8);
  private static final Map<String, String> LABELS =
      Map.of("porthole.sandbox", SANDBOX, "porthole.session", "ses_rt", "porthole.depth", "0");

  private static DockerContainerRuntime docker;
  private static String id;

  @BeforeAll
  static void start() {
    docker =
        new DockerContainerRuntime(
            Settings.DOCKER_HOST.defaultValue().toString(),
            Duration.ofSeconds(3),
            Duration.ofSeconds(30));
    id =
        docker.createContainer(
            new ContainerSpec(
                "porthole-" + SANDBOX + "-ses_rt",
                "porthole/devbox",
                List.of("/bin/httpd", "-f", "-p", "8081", "-h", "/www"),
                "rt",
                Map.of(),
                LABELS,
                "bridge",
                Map.of(),
                Map.of(),
                0,
                0,
                false,
                List.of()));
    docker.startContainer(id);
  }

  @AfterAll
  static void stop() {
    docker
        .listContainers(Map.of("porthole.sandbox", SANDBOX))
        .forEach(c -> docker.removeContainer(c.id()));
    docker.close();
  }

  @Test
  @DisplayName("Listening ports read on the host's /proc and through docker exec agree")
  void procNetBothWays() {
    ContainerInfo c = docker.inspectContainer(id).orElseThrow();
    assertThat(c.running()).isTrue();
    assertThat(c.pid()).isPositive();
    List<ProcNetTcp.Listener> host = List.of();
    List<ProcNetTcp.Listener> exec = List.of();
    // httpd may need a moment to bind: bounded retries
    for (int i = 0; i < 50 && host.stream().noneMatch(l -> l.port() == 8081); i++) {
      host = ProcNetTcp.listeners(docker.procNetTcp(id));
      exec = ProcNetTcp.listeners(docker.procNetTcpByExec(id));
    }
    assertThat(host).extracting(ProcNetTcp.Listener::port).contains(8081);
    assertThat(exec).extracting(ProcNetTcp.Listener::port).contains(8081);
  }

  @Test
  @DisplayName("exec reports the command's exit code and output")
  void exec() {
    ExecResult r =
        docker.exec(
            id,
            List.of("sh", "-c", "echo out; echo err >&2; exit 3"),
            1024,
            Duration.ofSeconds(10));
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.output()).contains("out\n").contains("err\n");
  }

  @Test
  @DisplayName("Missing objects are empty or false, and requests about them fail NOT_FOUND")
  void missing() {
    assertThat(docker.inspectContainer("porthole-no-such-" + SANDBOX)).isEmpty();
    assertThat(docker.removeContainer("porthole-no-such-" + SANDBOX)).isFalse();
    assertThat(docker.removeNetwork("porthole-no-such-" + SANDBOX)).isFalse();
    assertThat(docker.removeVolume("porthole-no-such-" + SANDBOX)).isFalse();
    assertThatThrownBy(() -> docker.startContainer("porthole-no-such-" + SANDBOX))
        .isInstanceOfSatisfying(
            PortholeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  @DisplayName("The tail buffer keeps the last bytes, says it dropped some, and cuts no character")
  void tailBuffer() {
    DockerContainerRuntime.TailBuffer t = new DockerContainerRuntime.TailBuffer(8);
    t.write("abc".getBytes(StandardCharsets.UTF_8));
    assertThat(t.text()).isEqualTo("abc");
    assertThat(t.truncated()).isFalse();
    t.write("defgh".getBytes(StandardCharsets.UTF_8));
    assertThat(t.text()).isEqualTo("abcdefgh");
    assertThat(t.truncated()).isFalse();
    t.write("é1234567".getBytes(StandardCharsets.UTF_8));
    assertThat(t.text()).isEqualTo("1234567");
    assertThat(t.truncated()).isTrue();
    t.write("0123456789abcdef".getBytes(StandardCharsets.UTF_8));
    assertThat(t.text()).isEqualTo("89abcdef");
  }

  @Test
  @DisplayName("The host socket path comes from a unix:// Docker host, else the default")
  void socketPath() {
    assertThat(DockerContainerRuntime.socketPath("unix:///run/user/docker.sock"))
        .isEqualTo("/run/user/docker.sock");
    assertThat(DockerContainerRuntime.socketPath("tcp://10.0.0.1:2375"))
        .isEqualTo("/var/run/docker.sock");
  }
}
