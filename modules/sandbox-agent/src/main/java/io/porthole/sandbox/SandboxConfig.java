package io.porthole.sandbox;

import com.github.dockerjava.api.model.Capability;
import io.porthole.common.config.ConfigException;
import io.porthole.common.config.Settings;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The sandbox role's part of the configuration.
 *
 * @param cpuMillis CPU limit of a dev container in thousandths of a CPU; 0 for none
 * @param memoryMb memory limit of a dev container in MiB; 0 for none
 * @param privilegedDropCaps capabilities a privileged container does without (upper case, no CAP_
 *     prefix); empty means Docker's --privileged
 */
public record SandboxConfig(
    String sandboxId,
    String dockerHost,
    String image,
    int depth,
    int cpuMillis,
    int memoryMb,
    boolean allowPrivileged,
    List<String> privilegedDropCaps,
    boolean allowHostDocker,
    Duration probeInterval) {

  /** What a sandbox id (a part of Docker object names) may look like. */
  public static final String ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]{0,62}";

  public SandboxConfig {
    privilegedDropCaps = List.copyOf(privilegedDropCaps);
  }

  /**
   * Parses and checks a loaded configuration.
   *
   * @throws ConfigException naming the key when a value does not fit
   */
  public static SandboxConfig from(JsonObject config) {
    String id = Settings.SANDBOX_ID.stringIn(config);
    if (id.isEmpty()) {
      id = "sbx-" + Settings.NODE_ID.stringIn(config);
    }
    if (!id.matches(ID_PATTERN)) {
      throw new ConfigException(
          Settings.SANDBOX_ID,
          "expected letters, digits, '_', '.' or '-' (at most 63, starting with a letter or"
              + " digit), got \""
              + id
              + "\"");
    }
    int memoryMb = Settings.SANDBOX_MEMORY_MB.intIn(config);
    if (memoryMb > 0 && memoryMb < 6) {
      throw new ConfigException(
          Settings.SANDBOX_MEMORY_MB, "Docker needs at least 6 MiB, got " + memoryMb);
    }
    List<String> dropCaps =
        Settings.SANDBOX_PRIVILEGED_DROP_CAPS.listIn(config).stream()
            .map(c -> c.toUpperCase(Locale.ROOT).replaceFirst("^CAP_", ""))
            .toList();
    for (String cap : dropCaps) {
      if (cap.equals("ALL") || !isCapability(cap)) {
        throw new ConfigException(
            Settings.SANDBOX_PRIVILEGED_DROP_CAPS,
            "expected capability names like SYS_RESOURCE, got \"" + cap + "\"");
      }
    }
    return new SandboxConfig(
        id,
        Settings.DOCKER_HOST.stringIn(config),
        Settings.SANDBOX_IMAGE.stringIn(config),
        Settings.SANDBOX_DEPTH.intIn(config),
        Settings.SANDBOX_CPU_MILLIS.intIn(config),
        memoryMb,
        Settings.SANDBOX_ALLOW_PRIVILEGED.boolIn(config),
        dropCaps,
        Settings.SANDBOX_ALLOW_HOST_DOCKER.boolIn(config),
        Duration.ofMillis(Settings.SANDBOX_PROBE_INTERVAL_MS.longIn(config)));
  }

  private static boolean isCapability(String name) {
    for (Capability c : Capability.values()) {
      if (c.name().equals(name)) {
        return true;
      }
    }
    return false;
  }
}
