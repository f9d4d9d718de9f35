package io.porthole.admin;

import io.porthole.common.config.Settings;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * What the admin needs from the node's configuration: its id, its roles, the address an operator
 * reaches it at ({@code http.host:http.port}), and how long a node may take to answer.
 */
record AdminConfig(String nodeId, List<String> roles, String address, long nodeTimeoutMs) {

  static final long DEFAULT_NODE_TIMEOUT_MS = 2_000;

  static AdminConfig from(JsonObject config, long nodeTimeoutMs) {
    String nodeId = Objects.toString(Settings.NODE_ID.stringIn(config), "");
    if (nodeId.isEmpty()) {
      throw new IllegalArgumentException("node.id must be set for the admin endpoints");
    }
    if (nodeTimeoutMs <= 0) {
      throw new IllegalArgumentException("the node timeout must be positive");
    }
    String role = Objects.toString(Settings.ROLE.stringIn(config), "api");
    List<String> roles = role.equals("all") ? List.of("api", "sandbox") : List.of(role);
    String address = Settings.HTTP_HOST.stringIn(config) + ":" + Settings.HTTP_PORT.intIn(config);
    return new AdminConfig(nodeId, roles, address, nodeTimeoutMs);
  }
}
