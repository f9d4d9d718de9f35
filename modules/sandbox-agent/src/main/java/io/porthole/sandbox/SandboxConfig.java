package io.porthole.sandbox;

import io.porthole.common.config.Settings;
import io.vertx.core.json.JsonObject;

/** The sandbox role's part of the configuration. */
public record SandboxConfig(String sandboxId, String dockerHost, String image, int depth) {

  public static SandboxConfig from(JsonObject config) {
    String id = Settings.SANDBOX_ID.stringIn(config);
    if (id.isEmpty()) {
      id = "sbx-" + Settings.NODE_ID.stringIn(config);
    }
    return new SandboxConfig(
        id,
        Settings.DOCKER_HOST.stringIn(config),
        Settings.SANDBOX_IMAGE.stringIn(config),
        Settings.SANDBOX_DEPTH.intIn(config));
  }
}
