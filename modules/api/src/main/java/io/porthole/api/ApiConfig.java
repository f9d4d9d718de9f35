package io.porthole.api;

import io.porthole.common.config.Settings;
import io.vertx.core.json.JsonObject;

/** The API server's part of the configuration. */
public record ApiConfig(String nodeId, String host, int port, long shutdownTimeoutMs) {

  public static ApiConfig from(JsonObject config) {
    return new ApiConfig(
        Settings.NODE_ID.stringIn(config),
        Settings.HTTP_HOST.stringIn(config),
        Settings.HTTP_PORT.intIn(config),
        Settings.SHUTDOWN_TIMEOUT_MS.longIn(config));
  }
}
