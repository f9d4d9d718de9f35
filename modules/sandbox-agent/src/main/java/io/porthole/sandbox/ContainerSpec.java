package io.porthole.sandbox;

import java.util.List;
import java.util.Map;

/**
 * What to create: a container on one network, with named volumes and host paths mounted.
 *
 * @param command the command, or empty for the image's own
 * @param volumes volume name → path in the container
 * @param binds host path (on the engine's host) → path in the container
 * @param nanoCpus CPU limit in billionths of a CPU; 0 for none
 * @param memoryBytes memory limit; 0 for none
 * @param privileged Docker's {@code --privileged}, unless {@code dropCaps} is not empty: then every
 *     capability but those, unconfined seccomp and AppArmor, and every device allowed by the device
 *     cgroup (for engines whose host cannot grant every capability)
 * @param dropCaps capabilities a privileged container does without (names like SYS_RESOURCE)
 */
public record ContainerSpec(
    String name,
    String image,
    List<String> command,
    String hostname,
    Map<String, String> env,
    Map<String, String> labels,
    String network,
    Map<String, String> volumes,
    Map<String, String> binds,
    long nanoCpus,
    long memoryBytes,
    boolean privileged,
    List<String> dropCaps) {

  public ContainerSpec {
    command = List.copyOf(command);
    env = Map.copyOf(env);
    labels = Map.copyOf(labels);
    volumes = Map.copyOf(volumes);
    binds = Map.copyOf(binds);
    dropCaps = List.copyOf(dropCaps);
  }
}
