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
  public static final ConfigKey HTTP_TLS_CERT =
      ConfigKey.string(
          "http.tls.cert_file",
          env("http.tls.cert_file"),
          "",
          "PEM certificate chain (e.g. a wildcard for *.<dev_subdomain>) for http.port; empty serves"
              + " plain HTTP. With TLS, HTTP/2 is offered via ALPN.");
  public static final ConfigKey HTTP_TLS_KEY =
      ConfigKey.string(
          "http.tls.key_file",
          env("http.tls.key_file"),
          "",
          "PEM private key for http.tls.cert_file.");
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
  public static final ConfigKey SANDBOX_CPU_MILLIS =
      ConfigKey.integer(
          "sandbox.cpu_millis",
          env("sandbox.cpu_millis"),
          1000,
          0,
          1_024_000,
          "CPU limit of each dev container in thousandths of a CPU (1000 = one CPU); 0 = none.");
  public static final ConfigKey SANDBOX_MEMORY_MB =
      ConfigKey.integer(
          "sandbox.memory_mb",
          env("sandbox.memory_mb"),
          2048,
          0,
          4_194_304,
          "Memory limit of each dev container in MiB (at least 6); 0 = none.");
  public static final ConfigKey SANDBOX_ALLOW_PRIVILEGED =
      ConfigKey.bool(
          "sandbox.allow_privileged",
          env("sandbox.allow_privileged"),
          false,
          "Whether a session may ask for a privileged dev container (nested Docker).");
  public static final ConfigKey SANDBOX_PRIVILEGED_DROP_CAPS =
      ConfigKey.list(
          "sandbox.privileged_drop_caps",
          env("sandbox.privileged_drop_caps"),
          List.of(),
          "Capabilities a privileged dev container does without, for engines whose host cannot"
              + " grant them all (e.g. SYS_RESOURCE); empty means Docker's --privileged.");
  public static final ConfigKey SANDBOX_ALLOW_HOST_DOCKER =
      ConfigKey.bool(
          "sandbox.allow_host_docker",
          env("sandbox.allow_host_docker"),
          false,
          "Whether a session may opt in to the host's Docker socket at /var/run/host-docker.sock"
              + " (audited).");
  public static final ConfigKey SANDBOX_PROBE_INTERVAL_MS =
      ConfigKey.integer(
          "sandbox.probe_interval_ms",
          env("sandbox.probe_interval_ms"),
          5000,
          100,
          600_000,
          "How often the supervisor checks the Docker engine and, when it is back, re-reads"
              + " container IPs.");
  public static final ConfigKey HEALTH_PORT =
      ConfigKey.integer(
          "health.port",
          env("health.port"),
          8081,
          0,
          65535,
          "Port of /healthz and /readyz for the sandbox-only role (the api role serves them on"
              + " http.port).");
  public static final ConfigKey METRICS_ENABLED =
      ConfigKey.bool(
          "metrics.enabled",
          env("metrics.enabled"),
          true,
          "Collect Micrometer metrics (Vert.x's own and Porthole's) and serve them for Prometheus"
              + " at /metrics on metrics.port.");
  public static final ConfigKey METRICS_PORT =
      ConfigKey.integer(
          "metrics.port",
          env("metrics.port"),
          9464,
          0,
          65535,
          "Port of the Prometheus endpoint /metrics (on http.host; 0 picks a free one). Meant for"
              + " operators' scrapers, not for the public.");
  public static final ConfigKey SHUTDOWN_TIMEOUT_MS =
      ConfigKey.integer(
          "shutdown.timeout_ms",
          env("shutdown.timeout_ms"),
          10_000,
          0,
          600_000,
          "On SIGTERM, how long in-flight requests may take to finish before they are failed.");

  public static final ConfigKey VERTX_NATIVE_TRANSPORT =
      ConfigKey.bool(
          "vertx.native_transport",
          env("vertx.native_transport"),
          true,
          "Use Linux's epoll transport for all sockets when it is available (it ships in the"
              + " jar for x86-64); false, or another platform, uses Java NIO.");
  public static final ConfigKey VERTX_EVENT_LOOPS =
      ConfigKey.integer(
          "vertx.event_loops",
          env("vertx.event_loops"),
          0,
          0,
          1024,
          "Event-loop threads; 0 means Vert.x's default of twice the CPUs this process may use.");

  public static final ConfigKey TUNNEL_PORT =
      ConfigKey.integer(
          "tunnel.port",
          env("tunnel.port"),
          8082,
          0,
          65535,
          "Port where API nodes accept sandbox tunnels (WebSocket at /api/v1/tunnel; 0 picks one).");
  public static final ConfigKey TUNNEL_TLS_CERT =
      ConfigKey.string(
          "tunnel.tls.cert_file",
          env("tunnel.tls.cert_file"),
          "",
          "PEM certificate chain for the tunnel listener; empty serves plain WebSocket.");
  public static final ConfigKey TUNNEL_TLS_KEY =
      ConfigKey.string(
          "tunnel.tls.key_file",
          env("tunnel.tls.key_file"),
          "",
          "PEM private key for the tunnel listener (with tunnel.tls.cert_file).");
  public static final ConfigKey TUNNEL_TLS_TRUST =
      ConfigKey.string(
          "tunnel.tls.trust_file",
          env("tunnel.tls.trust_file"),
          "",
          "PEM CA certificate(s) a sandbox trusts for wss:// tunnels; empty uses the JVM's trust"
              + " store.");
  public static final ConfigKey TUNNEL_URLS =
      ConfigKey.list(
          "tunnel.urls",
          env("tunnel.urls"),
          List.of("ws://127.0.0.1:8082/api/v1/tunnel"),
          "Tunnel endpoints of API nodes a sandbox dials (ws:// or wss://); the all role dials its"
              + " own first, then these when they are set (to fail over to other nodes).");
  public static final ConfigKey TUNNEL_MASK_FRAMES =
      ConfigKey.bool(
          "tunnel.mask_frames",
          env("tunnel.mask_frames"),
          false,
          "Whether a sandbox masks the WebSocket frames it sends on its tunnels. Porthole's tunnel"
              + " server takes them either way; turn it on when an intermediary between the two"
              + " insists on RFC 6455 masking.");
  public static final ConfigKey TUNNEL_CONNECTIONS =
      ConfigKey.integer(
          "tunnel.connections",
          env("tunnel.connections"),
          2,
          1,
          8,
          "How many tunnels a sandbox keeps, each to a different URL when there are several.");
  public static final ConfigKey TUNNEL_MAX_STREAMS =
      ConfigKey.integer(
          "tunnel.max_streams",
          env("tunnel.max_streams"),
          16_384,
          16,
          1_000_000,
          "Most streams one tunnel carries at once, both sides (each proxied request, WebSocket or"
              + " TCP connection is one); beyond it a request is answered 503.");
  public static final ConfigKey TUNNEL_MAX_PER_SANDBOX =
      ConfigKey.integer(
          "tunnel.max_per_sandbox",
          env("tunnel.max_per_sandbox"),
          2,
          1,
          16,
          "Most tunnels one sandbox id may hold on a node; a new one with the same instance id"
              + " replaces the old.");
  public static final ConfigKey TUNNEL_GRACE_MS =
      ConfigKey.integer(
          "tunnel.grace_ms",
          env("tunnel.grace_ms"),
          10_000,
          0,
          600_000,
          "While a sandbox reconnects, new streams for it wait this long (bounded queue) before"
              + " failing.");
  public static final ConfigKey TUNNEL_PING_INTERVAL_MS =
      ConfigKey.integer(
          "tunnel.ping_interval_ms",
          env("tunnel.ping_interval_ms"),
          5_000,
          100,
          600_000,
          "Keep-alive ping interval, both ways.");
  public static final ConfigKey TUNNEL_DEAD_AFTER_MS =
      ConfigKey.integer(
          "tunnel.dead_after_ms",
          env("tunnel.dead_after_ms"),
          15_000,
          500,
          600_000,
          "A peer silent this long is declared dead and its tunnel closed.");
  public static final ConfigKey TUNNEL_BACKOFF_MIN_MS =
      ConfigKey.integer(
          "tunnel.backoff_min_ms",
          env("tunnel.backoff_min_ms"),
          200,
          10,
          600_000,
          "First reconnect delay of the sandbox's tunnel client (doubles, jittered).");
  public static final ConfigKey TUNNEL_BACKOFF_MAX_MS =
      ConfigKey.integer(
          "tunnel.backoff_max_ms",
          env("tunnel.backoff_max_ms"),
          10_000,
          10,
          600_000,
          "Cap of the reconnect delay.");
  public static final ConfigKey TUNNEL_CONTROL_TIMEOUT_MS =
      ConfigKey.integer(
          "tunnel.control_timeout_ms",
          env("tunnel.control_timeout_ms"),
          60_000,
          100,
          600_000,
          "How long a command to a sandbox (create a container, ...) may take.");
  public static final ConfigKey SANDBOX_TOKEN =
      ConfigKey.string(
          "sandbox.token",
          "PORTHOLE_SANDBOX_TOKEN",
          "",
          "The sandbox's tunnel token (issued by an admin); required for the sandbox role, made"
              + " in-process for the all role.");

  public static final ConfigKey API_PUBLIC_URL =
      ConfigKey.string(
          "api.public_url",
          env("api.public_url"),
          "",
          "Base URL clients reach the API at (https://porthole.example.com), used in the URLs the"
              + " API returns; empty: http:// and the request's Host header.");
  public static final ConfigKey API_MAX_BODY_BYTES =
      ConfigKey.integer(
          "api.max_body_bytes",
          env("api.max_body_bytes"),
          65_536,
          1_024,
          16_777_216,
          "Largest REST API request body; a larger one is refused with 413.");
  public static final ConfigKey PORTS_ENABLED =
      ConfigKey.bool(
          "ports.enabled",
          env("ports.enabled"),
          true,
          "Port mode: each exposure also gets a host port from the range, bound by every API node.");
  public static final ConfigKey PORTS_RANGE_START =
      ConfigKey.integer(
          "ports.range_start",
          env("ports.range_start"),
          30_000,
          1,
          65_535,
          "First host port the allocator hands out.");
  public static final ConfigKey PORTS_RANGE_END =
      ConfigKey.integer(
          "ports.range_end",
          env("ports.range_end"),
          40_000,
          1,
          65_535,
          "Last host port the allocator hands out (inclusive).");
  public static final ConfigKey PORTS_RESERVED =
      ConfigKey.list(
          "ports.reserved",
          env("ports.reserved"),
          List.of(),
          "Ports Porthole never uses: never allocated, and refused as an exposed port; single"
              + " ports or ranges (22, 30000-30099).");
  public static final ConfigKey QUOTA_EXPOSURES_PER_SESSION =
      ConfigKey.integer(
          "quota.exposures_per_session",
          env("quota.exposures_per_session"),
          20,
          0,
          10_000,
          "Most exposed ports one session may have; more is refused with 429.");
  public static final ConfigKey QUOTA_PORTS_PER_OWNER =
      ConfigKey.integer(
          "quota.ports_per_owner",
          env("quota.ports_per_owner"),
          50,
          0,
          100_000,
          "Most allocated host ports one owner may hold across sessions; more is refused with 429.");
  public static final ConfigKey SESSIONS_DEFAULT_CAPACITY =
      ConfigKey.integer(
          "sessions.default_capacity",
          env("sessions.default_capacity"),
          50,
          1,
          100_000,
          "Sessions a sandbox takes when its tunnel does not announce a capacity.");
  public static final ConfigKey SESSIONS_CREATE_TIMEOUT_MS =
      ConfigKey.integer(
          "sessions.create_timeout_ms",
          env("sessions.create_timeout_ms"),
          120_000,
          1_000,
          3_600_000,
          "How long creating a session's dev container on its sandbox may take before 504.");

  public static final ConfigKey PROXY_TRUSTED_PROXIES =
      ConfigKey.list(
          "proxy.trusted_proxies",
          env("proxy.trusted_proxies"),
          List.of(),
          "Addresses of load balancers whose X-Forwarded-Proto/-Host/-For are believed.");
  public static final ConfigKey PROXY_INTERNAL_PORT =
      ConfigKey.integer(
          "proxy.internal_port",
          env("proxy.internal_port"),
          0,
          0,
          65535,
          "Port (on cluster.host) where other nodes hand over requests for tunnels this node holds"
              + " (0 picks one).");
  public static final ConfigKey PROXY_RESPONSE_HEADER_TIMEOUT_MS =
      ConfigKey.integer(
          "proxy.response_header_timeout_ms",
          env("proxy.response_header_timeout_ms"),
          300_000,
          0,
          86_400_000,
          "Default wait for an app's response head before a 504 (an exposure's policy overrides; 0"
              + " waits forever).");
  public static final ConfigKey PROXY_HOP_WAIT_TIMEOUT_MS =
      ConfigKey.integer(
          "proxy.hop_wait_timeout_ms",
          env("proxy.hop_wait_timeout_ms"),
          10_000,
          100,
          600_000,
          "How long a request handed to the node holding the tunnel waits for a connection to it (a"
              + " free one of the 64 pooled connections ordinary requests share, or a new one of its"
              + " own for a WebSocket or raw TCP) before a 503.");

  public static final List<ConfigKey> ALL =
      List.of(
          ROLE,
          NODE_ID,
          HTTP_HOST,
          HTTP_PORT,
          HTTP_TLS_CERT,
          HTTP_TLS_KEY,
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
          SANDBOX_CPU_MILLIS,
          SANDBOX_MEMORY_MB,
          SANDBOX_ALLOW_PRIVILEGED,
          SANDBOX_PRIVILEGED_DROP_CAPS,
          SANDBOX_ALLOW_HOST_DOCKER,
          SANDBOX_PROBE_INTERVAL_MS,
          HEALTH_PORT,
          METRICS_ENABLED,
          METRICS_PORT,
          SHUTDOWN_TIMEOUT_MS,
          API_PUBLIC_URL,
          API_MAX_BODY_BYTES,
          PORTS_ENABLED,
          PORTS_RANGE_START,
          PORTS_RANGE_END,
          PORTS_RESERVED,
          QUOTA_EXPOSURES_PER_SESSION,
          QUOTA_PORTS_PER_OWNER,
          SESSIONS_DEFAULT_CAPACITY,
          SESSIONS_CREATE_TIMEOUT_MS,
          VERTX_NATIVE_TRANSPORT,
          VERTX_EVENT_LOOPS,
          TUNNEL_PORT,
          TUNNEL_TLS_CERT,
          TUNNEL_TLS_KEY,
          TUNNEL_TLS_TRUST,
          TUNNEL_URLS,
          TUNNEL_MASK_FRAMES,
          TUNNEL_CONNECTIONS,
          TUNNEL_MAX_STREAMS,
          TUNNEL_MAX_PER_SANDBOX,
          TUNNEL_GRACE_MS,
          TUNNEL_PING_INTERVAL_MS,
          TUNNEL_DEAD_AFTER_MS,
          TUNNEL_BACKOFF_MIN_MS,
          TUNNEL_BACKOFF_MAX_MS,
          TUNNEL_CONTROL_TIMEOUT_MS,
          SANDBOX_TOKEN,
          PROXY_TRUSTED_PROXIES,
          PROXY_INTERNAL_PORT,
          PROXY_RESPONSE_HEADER_TIMEOUT_MS,
          PROXY_HOP_WAIT_TIMEOUT_MS);

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
    if (HTTP_TLS_CERT.stringIn(out).isEmpty() != HTTP_TLS_KEY.stringIn(out).isEmpty()) {
      throw new ConfigException(
          HTTP_TLS_KEY, "http.tls.cert_file and http.tls.key_file go together");
    }
    if (TUNNEL_TLS_CERT.stringIn(out).isEmpty() != TUNNEL_TLS_KEY.stringIn(out).isEmpty()) {
      throw new ConfigException(
          TUNNEL_TLS_KEY, "tunnel.tls.cert_file and tunnel.tls.key_file go together");
    }
    if (DATA_DIR.stringIn(out).isBlank()) {
      throw new ConfigException(DATA_DIR, "a value is required");
    }
    if (CLUSTER_ENABLED.boolIn(out) && CLUSTER_MEMBERS.listIn(out).isEmpty()) {
      throw new ConfigException(CLUSTER_MEMBERS, "at least one member is required");
    }
    if (ROLE.stringIn(out).equals("sandbox") && SANDBOX_TOKEN.stringIn(out).isEmpty()) {
      throw new ConfigException(SANDBOX_TOKEN, "a value is required for the sandbox role");
    }
    if (ROLE.stringIn(out).equals("sandbox") && SANDBOX_ID.stringIn(out).isEmpty()) {
      throw new ConfigException(
          SANDBOX_ID, "a value is required for the sandbox role (its token is issued for it)");
    }
    if (TUNNEL_BACKOFF_MAX_MS.longIn(out) < TUNNEL_BACKOFF_MIN_MS.longIn(out)) {
      throw new ConfigException(TUNNEL_BACKOFF_MAX_MS, "must not be below tunnel.backoff_min_ms");
    }
    for (String u : TUNNEL_URLS.listIn(out)) {
      if (!u.matches("^wss?://[^/]+(/.*)?$")) {
        throw new ConfigException(
            TUNNEL_URLS, "expected ws://host:port/path or wss://..., got \"" + u + "\"");
      }
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
