package io.porthole.sandbox;

import io.porthole.sandbox.impl.DockerContainerRuntime;
import java.time.Duration;

/**
 * The container engine as the supervisor sees it. Every method blocks: call it from a worker
 * (executeBlocking), never an event loop. Tests may supply a fake.
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

  @Override
  void close();
}
