package io.porthole.common.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The table of every configuration key. {@code docs/configuration.md} and {@code
 * conf/porthole.json} list the same keys; a test keeps the three in step.
 */
public final class Settings {

  public static final ConfigKey ROLE =
      ConfigKey.string(
          "role",
          env("role"),
          "all",
          "What this process runs: api (API-side verticles), sandbox (supervisor and tunnel client)"
              + " or all (both in one process).");
  public static final ConfigKey NODE_ID =
      ConfigKey.string(
          "node.id", env("node.id"), "", "This node's id; empty means generated at start-up.");
  public static final ConfigKey HTTP_HOST =
      ConfigKey.string(
          "http.host", env("http.host"), "0.0.0.0", "Address the API and proxy HTTP server binds.");
  public static final ConfigKey HTTP_PORT =
      ConfigKey.integer(
          "http.port",
          env("http.port"),
          8080,
          0,
          65535,
          "Port of the API and proxy HTTP server (0 picks a free one).");
  public static final ConfigKey DATA_DIR =
      ConfigKey.string(
          "data.dir",
          env("data.dir"),
          "./data",
          "Directory for local state (embedded PostgreSQL).");
  public static final ConfigKey DEV_SUBDOMAIN =
      ConfigKey.string(
          "proxy.dev_subdomain",
          "PORTHOLE_DEV_SUBDOMAIN",
          "dev.localhost",
          "Parent domain of subdomain URLs (ses-abc123-8080.<domain>); empty turns them off.");
  public static final ConfigKey BOOTSTRAP_ADMIN_KEY =
      ConfigKey.string(
          "auth.bootstrap_admin_key",
          "PORTHOLE_BOOTSTRAP_ADMIN_KEY",
          "",
          "When set, an admin API key with this value exists after start-up; when empty the first"
              + " start prints a generated admin key once.");
  public static final ConfigKey PG_URL =
      ConfigKey.string(
          "pg.url",
          "PORTHOLE_PG_URL",
          "",
          "External PostgreSQL (postgresql://user:pass@host:port/db); empty runs the embedded server.");
  public static final ConfigKey PG_POOL_SIZE =
      ConfigKey.integer(
          "pg.pool_size", env("pg.pool_size"), 8, 1, 200, "Connections in each node's pool.");
  public static final ConfigKey PG_EMBEDDED_USER =
      ConfigKey.string(
          "pg.embedded.user",
          env("pg.embedded.user"),
          "porthole-pg",
          "Unprivileged system user the embedded server runs as when Porthole runs as root"
              + " (created if missing).");
  public static final ConfigKey PG_EMBEDDED_PORT =
      ConfigKey.integer(
          "pg.embedded.port",
          env("pg.embedded.port"),
          0,
          0,
          65535,
          "Loopback port of the embedded server (0 picks a free one).");
  public static final ConfigKey CLUSTER_ENABLED =
      ConfigKey.bool(
          "cluster.enabled",
          env("cluster.enabled"),
          true,
          "Join the Hazelcast cluster; false runs a standalone (non-clustered) node.");
  public static final ConfigKey CLUSTER_NAME =
      ConfigKey.string(
          "cluster.name",
          env("cluster.name"),
          "porthole",
          "Hazelcast cluster name; only nodes with the same name join each other.");
  public static final ConfigKey CLUSTER_CONFIG =
      ConfigKey.string(
          "cluster.config",
          env("cluster.config"),
          "cluster/cluster.xml",
          "Hazelcast XML file; when the file does not exist the bundled copy is used.");
  public static final ConfigKey CLUSTER_HOST =
      ConfigKey.string(
          "cluster.host",
          env("cluster.host"),
          "127.0.0.1",
          "Interface Hazelcast binds and announces.");
  public static final ConfigKey CLUSTER_PORT =
      ConfigKey.integer(
          "cluster.port",
          env("cluster.port"),
          5701,
          1,
          65535,
          "Hazelcast member port (the next free one is taken when it is in use).");
  public static final ConfigKey CLUSTER_MEMBERS =
      ConfigKey.list(
          "cluster.members",
          env("cluster.members"),
          List.of("127.0.0.1"),
          "TCP-IP join members (host or host:port), comma-separated.");
  public static final ConfigKey DOCKER_HOST =
      ConfigKey.string(
          "docker.host",
          "DOCKER_HOST",
          "unix:///var/run/docker.sock",
          "Docker engine the sandbox role drives.");
  public static final ConfigKey SANDBOX_ID =
      ConfigKey.string(
          "sandbox.id", env("sandbox.id"), "", "This sandbox's id; empty means sbx-<node id>.");
  public static final ConfigKey SANDBOX_IMAGE =
      ConfigKey.string(
          "sandbox.image",
          env("sandbox.image"),
          "porthole/devbox",
          "Image of dev containers (built locally by scripts/devbox-image).");
  public static final ConfigKey SANDBOX_DEPTH =
      ConfigKey.integer(
          "sandbox.depth",
          env("sandbox.depth"),
          0,
          0,
          43,
          "Nesting level of this sandbox; its networks come from 10.(212+depth).0.0/16.");
  public static final ConfigKey HEALTH_PORT =
      ConfigKey.integer(
          "health.port",
          env("health.port"),
          8081,
          0,
          65535,
          "Port of /healthz and /readyz for the sandbox-only role (the api role serves them on"
              + " http.port).");
  public static final ConfigKey SHUTDOWN_TIMEOUT_MS =
      ConfigKey.integer(
          "shutdown.timeout_ms",
          env("shutdown.timeout_ms"),
          10_000,
          0,
          600_000,
          "On SIGTERM, how long in-flight requests may take to finish before they are failed.");

  public static final List<ConfigKey> ALL =
      List.of(
          ROLE,
          NODE_ID,
          HTTP_HOST,
          HTTP_PORT,
          DATA_DIR,
          DEV_SUBDOMAIN,
          BOOTSTRAP_ADMIN_KEY,
          PG_URL,
          PG_POOL_SIZE,
          PG_EMBEDDED_USER,
          PG_EMBEDDED_PORT,
          CLUSTER_ENABLED,
          CLUSTER_NAME,
          CLUSTER_CONFIG,
          CLUSTER_HOST,
          CLUSTER_PORT,
          CLUSTER_MEMBERS,
          DOCKER_HOST,
          SANDBOX_ID,
          SANDBOX_IMAGE,
          SANDBOX_DEPTH,
          HEALTH_PORT,
          SHUTDOWN_TIMEOUT_MS);

  private static final Map<String, ConfigKey> BY_NAME =
      ALL.stream().collect(Collectors.toMap(ConfigKey::name, Function.identity()));

  /** The roles a node may take. */
  public static final Set<String> ROLES = Set.of("all", "api", "sandbox");

  private Settings() {}

  private static String env(String name) {
    return "PORTHOLE_" + name.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  public static Optional<ConfigKey> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  /** Every key at its default, as a flat JSON object. */
  public static JsonObject defaults() {
    JsonObject out = new JsonObject();
    ALL.forEach(
        k ->
            out.put(
                k.name(), k.defaultValue() instanceof JsonArray a ? a.copy() : k.defaultValue()));
    return out;
  }

  /**
   * Checks a merged raw configuration and returns it typed: unknown keys, values of the wrong type
   * or out of range, and rules across keys each fail with the key named.
   */
  public static JsonObject validate(JsonObject raw) {
    JsonObject out = new JsonObject();
    for (String name : raw.fieldNames()) {
      ConfigKey key = BY_NAME.get(name);
      if (key == null) {
        throw new ConfigException("unknown configuration key '" + name + "'");
      }
      out.put(name, key.coerce(raw.getValue(name)));
    }
    for (ConfigKey key : ALL) {
      if (out.getValue(key.name()) == null) {
        throw new ConfigException(key, "a value is required");
      }
    }
    if (!ROLES.contains(ROLE.stringIn(out))) {
      throw new ConfigException(
          ROLE, "expected one of all, api, sandbox, got \"" + ROLE.stringIn(out) + "\"");
    }
    if (DATA_DIR.stringIn(out).isBlank()) {
      throw new ConfigException(DATA_DIR, "a value is required");
    }
    if (CLUSTER_ENABLED.boolIn(out) && CLUSTER_MEMBERS.listIn(out).isEmpty()) {
      throw new ConfigException(CLUSTER_MEMBERS, "at least one member is required");
    }
    String url = PG_URL.stringIn(out);
    if (!url.isEmpty() && !url.matches("^postgres(ql)?://.+")) {
      throw new ConfigException(
          PG_URL, "expected postgresql://user:password@host:port/database, got \"" + url + "\"");
    }
    String domain = DEV_SUBDOMAIN.stringIn(out);
    if (!domain.isEmpty()
        && !domain.matches("^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9-]+$")) {
      throw new ConfigException(
          DEV_SUBDOMAIN,
          "expected a lowercase DNS name like dev.example.com, got \"" + domain + "\"");
    }
    return out;
  }
}
