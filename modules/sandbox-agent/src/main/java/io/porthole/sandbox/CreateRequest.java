package io.porthole.sandbox;

import java.util.List;
import java.util.Map;

/**
 * A checked {@code container.create} body.
 *
 * @param image null for the sandbox's configured image
 * @param command empty for the image's own command
 * @param apiUrl null when the API did not pass one
 */
public record CreateRequest(
    String sessionId,
    String image,
    List<String> command,
    Map<String, String> env,
    Map<String, String> labels,
    boolean privileged,
    boolean hostDocker,
    String apiUrl) {

  public CreateRequest {
    command = List.copyOf(command);
    env = Map.copyOf(env);
    labels = Map.copyOf(labels);
  }
}
