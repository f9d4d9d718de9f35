package io.porthole.sandbox;

import io.porthole.sandbox.impl.DockerContainerRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The container engine as the supervisor sees it. Every method blocks: call it from a worker
 * (executeBlocking), never an event loop. Tests may supply a fake.
 *
 * <p>Failures are {@link io.porthole.common.PortholeException}s: {@code UNAVAILABLE} when the
 * engine does not answer (connection refused, socket missing, response timeout), {@code TIMEOUT}
 * when logs or an exec do not finish in the time given, {@code NOT_FOUND}, {@code CONFLICT} or
 * {@code INVALID} when the engine refuses a request, {@code INTERNAL} otherwise. Lists filter by
 * labels: every given label must match; an empty map lists everything.
 */
public interface ContainerRuntime extends AutoCloseable {

  /** A runtime backed by the Docker engine at {@code dockerHost}, with explicit timeouts. */
  static ContainerRuntime docker(
      String dockerHost, Duration connectTimeout, Duration responseTimeout) {
    return new DockerContainerRuntime(dockerHost, connectTimeout, responseTimeout);
  }

  /** Engine version; throws when the engine does not answer. */
  String ping();

  /** Whether the image exists locally. */
  boolean hasImage(String image);

  /**
   * Creates (does not start) a container; returns its id. {@code CONFLICT} if the name is taken.
   */
  String createContainer(ContainerSpec spec);

  /** Starts a created or stopped container; starting a running one is a no-op. */
  void startContainer(String id);

  /** A container by id or name, or empty when there is none. */
  Optional<ContainerInfo> inspectContainer(String idOrName);

  /** Stops a container (SIGTERM, then SIGKILL after {@code grace}); a no-op when not running. */
  void stopContainer(String id, Duration grace);

  /** Removes a container (forced, with its anonymous volumes); false when there was none. */
  boolean removeContainer(String id);

  /** Every container (running or not) carrying all of {@code labels}, inspected. */
  List<ContainerInfo> listContainers(Map<String, String> labels);

  /** Creates a bridge network on {@code subnet} (CIDR); returns its id. */
  String createNetwork(String name, String subnet, Map<String, String> labels);

  /** A network by id or name, or empty when there is none. */
  Optional<NetworkInfo> inspectNetwork(String idOrName);

  /** Removes a network; false when there was none. */
  boolean removeNetwork(String idOrName);

  /** Every network carrying all of {@code labels} (every network when empty). */
  List<NetworkInfo> listNetworks(Map<String, String> labels);

  /** Creates a local volume, or returns quietly when one of that name exists. */
  void createVolume(String name, Map<String, String> labels);

  /** Removes a volume; false when there was none. */
  boolean removeVolume(String name);

  /** Every volume carrying all of {@code labels}. */
  List<VolumeInfo> listVolumes(Map<String, String> labels);

  /**
   * A part of a container's stdout and stderr (see {@link LogQuery}); gives up after {@code
   * timeout}. {@code truncated} when bytes beyond {@code maxBytes} were dropped.
   */
  LogTail logs(String id, LogQuery query, Duration timeout);

  /**
   * The container's {@code /proc/net/tcp} followed by its {@code /proc/net/tcp6}: read on the host
   * from {@code /proc/<init pid>/net/} when the engine is local and that pid is the container's,
   * else through {@code docker exec cat}.
   */
  String procNetTcp(String id);

  /**
   * Runs a command in a running container and waits up to {@code timeout} for it: its exit code and
   * the last {@code maxBytes} of its stdout and stderr, interleaved.
   */
  ExecResult exec(String id, List<String> command, int maxBytes, Duration timeout);

  /**
   * Streams container events (start, die, destroy, ...) of containers carrying all of {@code
   * labels} until closed. {@code onEnd} runs once when the stream ends by itself (the engine went
   * away), with the cause or null. Callbacks run on a docker-java thread.
   */
  AutoCloseable watchContainerEvents(
      Map<String, String> labels, Consumer<ContainerEvent> onEvent, Consumer<Throwable> onEnd);

  @Override
  void close();
}
