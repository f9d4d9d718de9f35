package io.porthole.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A safety net for tests that fail half-way: removes every container, network and volume labelled
 * with a test's (random) sandbox id, so nothing accumulates on the engine between runs.
 */
final class DockerLeftovers {

  private DockerLeftovers() {}

  static Future<Void> remove(Vertx vertx, String sandboxId) {
    return vertx.executeBlocking(
        () -> {
          String filter = "label=porthole.sandbox=" + sandboxId;
          for (String id : list("docker", "ps", "-aq", "--filter", filter)) {
            run("docker", "rm", "-f", id);
          }
          for (String id : list("docker", "network", "ls", "-q", "--filter", filter)) {
            run("docker", "network", "rm", id);
          }
          for (String id : list("docker", "volume", "ls", "-q", "--filter", filter)) {
            run("docker", "volume", "rm", "-f", id);
          }
          return null;
        });
  }

  private static List<String> list(String... cmd) throws Exception {
    return run(cmd).lines().filter(l -> !l.isBlank()).toList();
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return out;
  }
}
