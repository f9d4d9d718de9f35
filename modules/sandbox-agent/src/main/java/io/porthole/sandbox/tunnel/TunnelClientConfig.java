package io.porthole.sandbox.tunnel;

import io.porthole.common.config.Settings;
import io.porthole.sandbox.SandboxConfig;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/** The tunnel client's part of the configuration. */
public record TunnelClientConfig(
    String sandboxId,
    String token,
    String trustFile,
    List<String> urls,
    boolean maskFrames,
    int maxStreams,
    int connections,
    Duration backoffMin,
    Duration backoffMax,
    Duration pingInterval,
    Duration deadAfter,
    Duration controlTimeout) {

  public static TunnelClientConfig from(JsonObject config) {
    List<String> urls = Settings.TUNNEL_URLS.listIn(config);
    return new TunnelClientConfig(
        SandboxConfig.from(config).sandboxId(),
        Settings.SANDBOX_TOKEN.stringIn(config),
        Settings.TUNNEL_TLS_TRUST.stringIn(config),
        urls,
        Settings.TUNNEL_MASK_FRAMES.boolIn(config),
        Settings.TUNNEL_MAX_STREAMS.intIn(config),
        Math.min(Settings.TUNNEL_CONNECTIONS.intIn(config), Math.max(1, urls.size())),
        Duration.ofMillis(Settings.TUNNEL_BACKOFF_MIN_MS.longIn(config)),
        Duration.ofMillis(Settings.TUNNEL_BACKOFF_MAX_MS.longIn(config)),
        Duration.ofMillis(Settings.TUNNEL_PING_INTERVAL_MS.longIn(config)),
        Duration.ofMillis(Settings.TUNNEL_DEAD_AFTER_MS.longIn(config)),
        Duration.ofMillis(Settings.TUNNEL_CONTROL_TIMEOUT_MS.longIn(config)));
  }
}
