package io.porthole.tunnel.server;

import io.porthole.common.config.Settings;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** The tunnel server's part of the configuration. */
public record TunnelServerConfig(
    String nodeId,
    String host,
    int port,
    String tlsCertFile,
    String tlsKeyFile,
    int maxPerSandbox,
    int maxStreams,
    Duration grace,
    Duration pingInterval,
    Duration deadAfter,
    Duration controlTimeout) {

  /** The path sandboxes dial. */
  public static final String PATH = "/api/v1/tunnel";

  /** Streams that may wait for a reconnecting sandbox, per sandbox. */
  public static final int MAX_WAITING_STREAMS = 1024;

  public static TunnelServerConfig from(JsonObject config) {
    return new TunnelServerConfig(
        Settings.NODE_ID.stringIn(config),
        Settings.HTTP_HOST.stringIn(config),
        Settings.TUNNEL_PORT.intIn(config),
        Settings.TUNNEL_TLS_CERT.stringIn(config),
        Settings.TUNNEL_TLS_KEY.stringIn(config),
        Settings.TUNNEL_MAX_PER_SANDBOX.intIn(config),
        Settings.TUNNEL_MAX_STREAMS.intIn(config),
        Duration.ofMillis(Settings.TUNNEL_GRACE_MS.longIn(config)),
        Duration.ofMillis(Settings.TUNNEL_PING_INTERVAL_MS.longIn(config)),
        Duration.ofMillis(Settings.TUNNEL_DEAD_AFTER_MS.longIn(config)),
        Duration.ofMillis(Settings.TUNNEL_CONTROL_TIMEOUT_MS.longIn(config)));
  }

  public boolean tls() {
    return !tlsCertFile.isEmpty();
  }
}
