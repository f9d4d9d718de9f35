package io.porthole.registry;

import io.porthole.common.config.ConfigException;
import io.porthole.common.config.Settings;
import io.porthole.postgres.PgSettings;
import io.vertx.core.json.JsonObject;

/** The registry's part of the configuration. */
public record RegistryConfig(
    PgSettings pg,
    int poolSize,
    String bootstrapAdminKey,
    boolean portsEnabled,
    int exposuresPerSession,
    int defaultCapacity,
    long createTimeoutMs) {

  /** Parses the node's flat configuration; {@code pg.url} must name a server by now. */
  public static RegistryConfig from(JsonObject config) {
    String url = Settings.PG_URL.stringIn(config);
    if (url == null || url.isEmpty()) {
      throw new ConfigException(Settings.PG_URL, "no PostgreSQL server is configured");
    }
    PgSettings pg;
    try {
      pg = PgSettings.fromUri(url);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(Settings.PG_URL, e.getMessage());
    }
    return new RegistryConfig(
        pg,
        Settings.PG_POOL_SIZE.intIn(config),
        Settings.BOOTSTRAP_ADMIN_KEY.stringIn(config),
        Settings.PORTS_ENABLED.boolIn(config),
        Settings.QUOTA_EXPOSURES_PER_SESSION.intIn(config),
        Settings.SESSIONS_DEFAULT_CAPACITY.intIn(config),
        Settings.SESSIONS_CREATE_TIMEOUT_MS.longIn(config));
  }
}
