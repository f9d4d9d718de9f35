package io.porthole.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * The request bodies of the REST API, validated strictly and normalised (defaults filled in). The
 * field sets are the ones {@code docs/openapi.yaml} declares; a test keeps the two in step.
 */
final class Requests {

  static final Set<String> SESSION_FIELDS =
      Set.of("image", "command", "env", "labels", "privileged");
  static final Set<String> EXPOSE_FIELDS =
      Set.of("port", "protocol", "name", "visibility", "policy");
  static final Set<String> POLICY_FIELDS =
      Set.of(
          "idle_timeout_ms", "response_header_timeout_ms", "max_body_bytes", "cors", "host_header");
  static final Set<String> CORS_FIELDS = Set.of("mode", "allowed_origins");
  static final Set<String> KEY_FIELDS = Set.of("owner", "admin", "label");
  static final Set<String> SHARE_FIELDS = Set.of("expires_in_s");

  static final List<String> PROTOCOLS = List.of("http", "tcp");
  static final List<String> VISIBILITIES = List.of("private", "authenticated", "public");
  static final List<String> CORS_MODES = List.of("passthrough", "allowlist", "same-owner");
  static final List<String> HOST_HEADER_MODES = List.of("preserve", "rewrite");

  /** Policy defaults: generous; 0 means no limit. */
  static final long DEFAULT_RESPONSE_HEADER_TIMEOUT_MS = 60_000;

  /**
   * A DNS label short enough that {@code <name>-ses-<26 characters>} stays within 63, and not of
   * the {@code p<port>} form the port hosts use.
   */
  static final String NAME_PATTERN = "^(?!p[0-9]+$)[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$";

  static final String OWNER_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$";
  private static final String IMAGE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._/:@-]*$";
  private static final String ENV_PATTERN = "^[A-Za-z_][A-Za-z0-9_]{0,127}$";
  private static final String LABEL_PATTERN = "^(?!porthole\\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$";
  private static final String ORIGIN_PATTERN = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$";

  private Requests() {}

  /** POST /api/v1/sessions. */
  static JsonObject session(JsonObject in) {
    Body.allowOnly(in, SESSION_FIELDS, "");
    JsonObject out = new JsonObject();
    String image =
        Body.optString(
            in, "image", "image", 255, IMAGE_PATTERN, "an image reference like porthole/devbox");
    if (image != null) {
      out.put("image", image);
    }
    JsonArray command = Body.optStrings(in, "command", "command", 64, 4096);
    out.put("command", command == null ? new JsonArray() : command);
    JsonObject env =
        Body.optStringMap(
            in, "env", "env", 128, ENV_PATTERN, "a variable name like API_URL", 32_768);
    out.put("env", env == null ? new JsonObject() : env);
    JsonObject labels =
        Body.optStringMap(
            in,
            "labels",
            "labels",
            64,
            LABEL_PATTERN,
            "a label key like team or example.com/tier, not starting with porthole.",
            1024);
    out.put("labels", labels == null ? new JsonObject() : labels);
    Boolean privileged = Body.optBool(in, "privileged", "privileged");
    out.put("privileged", Boolean.TRUE.equals(privileged));
    return out;
  }

  /** POST /api/v1/sessions/{id}/expose; reserved ports and tcp without port mode are refused. */
  static JsonObject expose(JsonObject in, ApiConfig cfg) {
    Body.allowOnly(in, EXPOSE_FIELDS, "");
    Long port = Body.optLong(in, "port", "port", 1, 65535);
    if (port == null) {
      throw Http.invalid("'port' is required (an integer between 1 and 65535)");
    }
    if (cfg.isReserved(port.intValue())) {
      throw Http.invalid("port " + port + " is reserved (ports.reserved) and cannot be exposed");
    }
    String protocol = Body.optEnum(in, "protocol", "protocol", PROTOCOLS);
    protocol = protocol == null ? "http" : protocol;
    if (protocol.equals("tcp") && !cfg.portsEnabled()) {
      throw Http.invalid("a tcp exposure needs port mode, which is off (ports.enabled)");
    }
    String name =
        Body.optString(
            in,
            "name",
            "name",
            32,
            NAME_PATTERN,
            "a lowercase DNS label of 1-32 characters (a-z, 0-9, -), not p<digits>");
    String visibility = Body.optEnum(in, "visibility", "visibility", VISIBILITIES);
    return new JsonObject()
        .put("port", port.intValue())
        .put("protocol", protocol)
        .put("name", name)
        .put("visibility", visibility == null ? "private" : visibility)
        .put("policy", policy(Body.optObject(in, "policy", "policy")));
  }

  private static JsonObject policy(JsonObject in) {
    JsonObject p = in == null ? new JsonObject() : in;
    Body.allowOnly(p, POLICY_FIELDS, "policy.");
    Long idle = Body.optLong(p, "idle_timeout_ms", "policy.idle_timeout_ms", 0, 86_400_000);
    Long header =
        Body.optLong(
            p, "response_header_timeout_ms", "policy.response_header_timeout_ms", 0, 3_600_000);
    Long body = Body.optLong(p, "max_body_bytes", "policy.max_body_bytes", 0, 1L << 40);
    String host = Body.optEnum(p, "host_header", "policy.host_header", HOST_HEADER_MODES);
    JsonObject corsIn = Body.optObject(p, "cors", "policy.cors");
    JsonObject cors = corsIn == null ? new JsonObject() : corsIn;
    Body.allowOnly(cors, CORS_FIELDS, "policy.cors.");
    String mode = Body.optEnum(cors, "mode", "policy.cors.mode", CORS_MODES);
    mode = mode == null ? "passthrough" : mode;
    JsonArray origins =
        Body.optStrings(cors, "allowed_origins", "policy.cors.allowed_origins", 64, 255);
    origins = origins == null ? new JsonArray() : origins;
    for (int i = 0; i < origins.size(); i++) {
      if (!origins.getString(i).matches(ORIGIN_PATTERN)) {
        throw Http.invalid(
            "'policy.cors.allowed_origins["
                + i
                + "]' must be an origin like https://app.example.com, got \""
                + origins.getString(i)
                + "\"");
      }
    }
    if (mode.equals("allowlist") && origins.isEmpty()) {
      throw Http.invalid(
          "'policy.cors.allowed_origins' must name at least one origin in allowlist mode");
    }
    if (!mode.equals("allowlist") && !origins.isEmpty()) {
      throw Http.invalid("'policy.cors.allowed_origins' is only for mode allowlist");
    }
    return new JsonObject()
        .put("idle_timeout_ms", idle == null ? 0L : idle)
        .put(
            "response_header_timeout_ms",
            header == null ? DEFAULT_RESPONSE_HEADER_TIMEOUT_MS : header)
        .put("max_body_bytes", body == null ? 0L : body)
        .put("cors", new JsonObject().put("mode", mode).put("allowed_origins", origins))
        .put("host_header", host == null ? "preserve" : host);
  }

  /** POST /api/v1/keys. */
  static JsonObject key(JsonObject in) {
    Body.allowOnly(in, KEY_FIELDS, "");
    String owner =
        Body.optString(
            in, "owner", "owner", 128, OWNER_PATTERN, "1-128 characters of A-Z a-z 0-9 . _ @ -");
    if (owner == null) {
      throw Http.invalid("'owner' is required");
    }
    Boolean admin = Body.optBool(in, "admin", "admin");
    String label = Body.optString(in, "label", "label", 200, null, null);
    return new JsonObject()
        .put("owner", owner)
        .put("admin", Boolean.TRUE.equals(admin))
        .put("label", label == null ? "" : label);
  }

  /** POST /api/v1/sessions/{id}/expose/{port}/shares. */
  static JsonObject share(JsonObject in) {
    Body.allowOnly(in, SHARE_FIELDS, "");
    Long ttl = Body.optLong(in, "expires_in_s", "expires_in_s", 60, 31_536_000);
    JsonObject out = new JsonObject();
    if (ttl != null) {
      out.put("expires_in_s", ttl);
    }
    return out;
  }
}
