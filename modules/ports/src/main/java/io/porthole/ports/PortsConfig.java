package io.porthole.ports;

import io.porthole.common.config.ConfigException;
import io.porthole.common.config.Settings;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The allocator's part of the configuration, validated: a bad range fails start-up. */
public record PortsConfig(
    boolean enabled,
    PortRange range,
    List<PortRange> reserved,
    int portsPerOwner,
    String bindHost,
    String pgUrl,
    int poolSize) {

  public static PortsConfig from(JsonObject config) {
    int start = Settings.PORTS_RANGE_START.intIn(config);
    int end = Settings.PORTS_RANGE_END.intIn(config);
    if (end < start) {
      throw new ConfigException(
          Settings.PORTS_RANGE_END,
          "must not be below ports.range_start (" + start + "), got " + end);
    }
    List<PortRange> reserved;
    try {
      reserved = PortRange.parseAll(Settings.PORTS_RESERVED.listIn(config));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(Settings.PORTS_RESERVED, e.getMessage());
    }
    boolean enabled = Settings.PORTS_ENABLED.boolIn(config);
    String url = Settings.PG_URL.stringIn(config);
    if (enabled && (url == null || url.isEmpty())) {
      throw new ConfigException(Settings.PG_URL, "no PostgreSQL server is configured");
    }
    return new PortsConfig(
        enabled,
        new PortRange(start, end),
        List.copyOf(reserved),
        Settings.QUOTA_PORTS_PER_OWNER.intIn(config),
        Settings.HTTP_HOST.stringIn(config),
        url,
        // allocations are rare and short: a few connections are plenty
        Math.min(Settings.PG_POOL_SIZE.intIn(config), 4));
  }

  public boolean isReserved(int port) {
    return reserved.stream().anyMatch(r -> r.contains(port));
  }
}
