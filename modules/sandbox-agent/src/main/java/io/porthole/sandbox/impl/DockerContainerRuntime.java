package io.porthole.sandbox.impl;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import io.porthole.sandbox.ContainerRuntime;
import java.io.IOException;
import java.time.Duration;

/** {@link ContainerRuntime} over docker-java and its Apache HttpClient 5 transport. */
public final class DockerContainerRuntime implements ContainerRuntime {

  private final DockerClient client;

  public DockerContainerRuntime(
      String dockerHost, Duration connectTimeout, Duration responseTimeout) {
    DockerClientConfig config =
        DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost).build();
    DockerHttpClient http =
        new ApacheDockerHttpClient.Builder()
            .dockerHost(config.getDockerHost())
            .sslConfig(config.getSSLConfig())
            .maxConnections(64)
            .connectionTimeout(connectTimeout)
            .responseTimeout(responseTimeout)
            .build();
    this.client = DockerClientImpl.getInstance(config, http);
  }

  @Override
  public String ping() {
    return client.versionCmd().exec().getVersion();
  }

  @Override
  public boolean hasImage(String image) {
    try {
      client.inspectImageCmd(image).exec();
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  @Override
  public void close() {
    try {
      client.close();
    } catch (IOException e) {
      // closing a client that failed to connect has nothing left to release
    }
  }
}
