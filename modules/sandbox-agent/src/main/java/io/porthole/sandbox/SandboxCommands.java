package io.porthole.sandbox;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * The sandbox command table of {@code docs/internal-api.md}: checks each body (a bad one fails with
 * {@code INVALID} and changes nothing), runs the work on a worker thread and replies JSON. Failures
 * are {@link PortholeException}s carrying their {@link ErrorCode}; the tunnel client relays them
 * with {@code msg.fail(code.code(), message)}.
 */
public final class SandboxCommands {

  public static final String CREATE = "container.create";
  public static final String REMOVE = "container.remove";
  public static final String STATUS = "container.status";
  public static final String LIST = "container.list";
  public static final String LOGS = "container.logs";
  public static final String PORTS = "container.ports";
  public static final String RECONCILE = "reconcile";
  public static final List<String> ALL =
      List.of(CREATE, REMOVE, STATUS, LIST, LOGS, PORTS, RECONCILE);

  static final int DEFAULT_TAIL = 200;
  static final int MAX_TAIL = 10_000;
  static final int DEFAULT_MAX_BYTES = 64 * 1024;
  static final int MAX_MAX_BYTES = 1024 * 1024;
  static final int MAX_LIVE_SESSIONS = 100_000;

  private static final String IMAGE_PATTERN = "[a-z0-9][a-z0-9._/:@-]{0,254}";
  private static final String ENV_NAME_PATTERN = "[A-Za-z_][A-Za-z0-9_]{0,127}";
  private static final String LABEL_KEY_PATTERN = "[A-Za-z0-9][A-Za-z0-9._/-]{0,127}";
  private static final Set<String> RESERVED_ENV =
      Set.of(
          "PORTHOLE_SESSION_ID",
          "PORTHOLE_SANDBOX_ID",
          "PORTHOLE_SANDBOX_DEPTH",
          "PORTHOLE_API_URL");

  private final Vertx vertx;
  private final SessionContainers containers;

  public SandboxCommands(Vertx vertx, SessionContainers containers) {
    this.vertx = vertx;
    this.containers = containers;
  }

  /** Runs one command; the future fails with a {@link PortholeException}. */
  public Future<JsonObject> handle(String command, JsonObject body) {
    JsonObject b = body == null ? new JsonObject() : body;
    String c = command == null ? "" : command;
    try {
      return switch (c) {
        case CREATE -> create(b);
        case REMOVE -> remove(sessionId(b));
        case STATUS -> {
          String sid = sessionId(b);
          yield blocking(() -> containers.status(sid).toJson());
        }
        case LIST ->
            blocking(
                () ->
                    new JsonObject()
                        .put(
                            "containers",
                            new JsonArray(
                                containers.list().stream()
                                    .map(SessionContainer::toJson)
                                    .toList())));
        case LOGS -> logs(b);
        case PORTS -> ports(sessionId(b));
        case RECONCILE -> reconcile(b);
        default ->
            throw invalid("unknown sandbox command '" + c + "'; known: " + String.join(", ", ALL));
      };
    } catch (PortholeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Where to forward a stream for {@code port} of a session: its running dev container's IP on this
   * sandbox (from docker inspect, remembered until a container event or an engine outage). Never an
   * address anyone names: an unknown session, another sandbox's session or a stopped container
   * fails ({@code NOT_FOUND}, {@code BAD_GATEWAY}), and so does a port outside 1..65535 ({@code
   * INVALID}).
   */
  public Future<SocketAddress> resolveTarget(String sessionId, int port) {
    if (port < 1 || port > 65535) {
      return Future.failedFuture(invalid("port must be between 1 and 65535, got " + port));
    }
    if (sessionId == null || !sessionId.matches(SessionContainers.SESSION_ID_PATTERN)) {
      return Future.failedFuture(invalid("invalid session id"));
    }
    String cached = containers.cachedIp(sessionId).orElse(null);
    if (cached != null) {
      return Future.succeededFuture(SocketAddress.inetSocketAddress(port, cached));
    }
    return blocking(() -> SocketAddress.inetSocketAddress(port, containers.targetIp(sessionId)));
  }

  /**
   * Forgets a session's remembered address, e.g. when a connection to it was refused: the next
   * {@link #resolveTarget} inspects the container again.
   */
  public void forget(String sessionId) {
    containers.forget(sessionId);
  }

  private Future<JsonObject> create(JsonObject b) {
    String sid = sessionId(b);
    String image = optString(b, "image", 255);
    if (image != null && !image.matches(IMAGE_PATTERN)) {
      throw invalid("image must be an image reference like porthole/devbox, got \"" + image + "\"");
    }
    List<String> command = stringList(b, "command", 256, 4096);
    Map<String, String> env = stringMap(b, "env", ENV_NAME_PATTERN, 256);
    for (String k : env.keySet()) {
      if (RESERVED_ENV.contains(k)) {
        throw invalid("env " + k + " is set by the sandbox");
      }
    }
    Map<String, String> labels = stringMap(b, "labels", LABEL_KEY_PATTERN, 64);
    for (String k : labels.keySet()) {
      if (k.startsWith("porthole.")) {
        throw invalid("label " + k + ": the porthole. prefix is reserved");
      }
    }
    boolean privileged = optBool(b, "privileged");
    boolean hostDocker = optBool(b, "host_docker");
    String apiUrl = optString(b, "api_url", 2048);
    if (apiUrl != null && !apiUrl.matches("^https?://\\S+$")) {
      throw invalid("api_url must be an http(s) URL, got \"" + apiUrl + "\"");
    }
    CreateRequest req =
        new CreateRequest(sid, image, command, env, labels, privileged, hostDocker, apiUrl);
    return blocking(() -> containers.create(req).toJson());
  }

  private Future<JsonObject> remove(String sid) {
    return blocking(() -> reply(sid).put("removed", containers.remove(sid)));
  }

  private Future<JsonObject> ports(String sid) {
    return blocking(
        () ->
            reply(sid)
                .put(
                    "ports",
                    new JsonArray(
                        containers.ports(sid).stream().map(ProcNetTcp.Listener::toJson).toList())));
  }

  private Future<JsonObject> logs(JsonObject b) {
    String sid = sessionId(b);
    int tail = optInt(b, "tail", DEFAULT_TAIL, 1, MAX_TAIL);
    int maxBytes = optInt(b, "max_bytes", DEFAULT_MAX_BYTES, 1, MAX_MAX_BYTES);
    Object since = b.getValue("since");
    if (since != null && !(since instanceof String s && LogCursor.valid(s))) {
      throw invalid("since must be a cursor from an earlier reply (an RFC 3339 timestamp)");
    }
    boolean cursor = Boolean.TRUE.equals(b.getValue("cursor"));
    return blocking(
        () -> {
          if (since != null) {
            // following: the lines after the cursor, oldest first
            String from = (String) since;
            LogTail t = containers.logs(sid, LogQuery.since(LogCursor.second(from), maxBytes));
            LogCursor.Batch next = LogCursor.after(t.text(), from, t.truncated());
            return reply(sid)
                .put("logs", next.text())
                .put("truncated", t.truncated())
                .put("cursor", next.cursor());
          }
          if (cursor) {
            // taken before the read: a line written meanwhile is in the tail or after the cursor
            String start = Instant.now().toString();
            LogTail t = containers.logs(sid, LogQuery.tail(tail, maxBytes, true));
            LogCursor.Batch first = LogCursor.strip(t.text(), start);
            return reply(sid)
                .put("logs", first.text())
                .put("truncated", t.truncated())
                .put("cursor", first.cursor());
          }
          LogTail t = containers.logs(sid, LogQuery.tail(tail, maxBytes, false));
          return reply(sid).put("logs", t.text()).put("truncated", t.truncated());
        });
  }

  private Future<JsonObject> reconcile(JsonObject b) {
    Object raw = b.getValue("live_sessions");
    if (!(raw instanceof JsonArray arr)) {
      throw invalid("live_sessions must be an array of session ids");
    }
    if (arr.size() > MAX_LIVE_SESSIONS) {
      throw invalid("live_sessions holds more than " + MAX_LIVE_SESSIONS + " ids");
    }
    Set<String> live = new HashSet<>();
    for (Object o : arr) {
      if (!(o instanceof String s) || !s.matches(SessionContainers.SESSION_ID_PATTERN)) {
        throw invalid("live_sessions must hold session ids, got " + o);
      }
      live.add(s);
    }
    return blocking(
        () -> {
          SessionContainers.Reconciled r = containers.reconcile(live);
          JsonObject failed = new JsonObject();
          r.failed().forEach(failed::put);
          return new JsonObject()
              .put("adopted", new JsonArray(r.adopted()))
              .put("removed", new JsonArray(r.removed()))
              .put("failed", failed);
        });
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return vertx
        .executeBlocking(work, false)
        .recover(
            err ->
                Future.failedFuture(
                    err instanceof PortholeException
                        ? err
                        : new PortholeException(
                            ErrorCode.INTERNAL, "sandbox command failed: " + err, err)));
  }

  private static JsonObject reply(String sid) {
    return new JsonObject().put("session_id", sid);
  }

  // ---- body checks ----

  private static PortholeException invalid(String message) {
    return new PortholeException(ErrorCode.INVALID, message);
  }

  static String sessionId(JsonObject b) {
    Object v = b.getValue("session_id");
    if (!(v instanceof String s) || s.isEmpty()) {
      throw invalid("session_id is required");
    }
    if (!s.matches(SessionContainers.SESSION_ID_PATTERN)) {
      throw invalid(
          "session_id must be letters, digits, '_', '.' or '-' (at most 128), got \"" + s + "\"");
    }
    return s;
  }

  private static String optString(JsonObject b, String field, int maxLength) {
    Object v = b.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s) || s.isEmpty() || s.length() > maxLength) {
      throw invalid(field + " must be a non-empty string of at most " + maxLength + " characters");
    }
    return s;
  }

  private static boolean optBool(JsonObject b, String field) {
    Object v = b.getValue(field);
    if (v == null) {
      return false;
    }
    if (!(v instanceof Boolean x)) {
      throw invalid(field + " must be true or false, got " + v);
    }
    return x;
  }

  private static int optInt(JsonObject b, String field, int dflt, int min, int max) {
    Object v = b.getValue(field);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Number n)
        || n.doubleValue() != n.longValue()
        || n.longValue() < min
        || n.longValue() > max) {
      throw invalid(field + " must be an integer between " + min + " and " + max + ", got " + v);
    }
    return n.intValue();
  }

  private static List<String> stringList(JsonObject b, String field, int maxItems, int maxLength) {
    Object v = b.getValue(field);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray a) || a.isEmpty() || a.size() > maxItems) {
      throw invalid(field + " must be a non-empty array of at most " + maxItems + " strings");
    }
    List<String> out = new ArrayList<>();
    for (Object o : a) {
      if (!(o instanceof String s) || s.length() > maxLength || s.indexOf('\0') >= 0) {
        throw invalid(field + " must hold strings of at most " + maxLength + " characters");
      }
      out.add(s);
    }
    return out;
  }

  private static Map<String, String> stringMap(
      JsonObject b, String field, String keyPattern, int maxEntries) {
    Object v = b.getValue(field);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof JsonObject o) || o.size() > maxEntries) {
      throw invalid(field + " must be an object of at most " + maxEntries + " strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : o) {
      if (!e.getKey().matches(keyPattern)) {
        throw invalid(field + ": invalid name \"" + e.getKey() + "\"");
      }
      if (!(e.getValue() instanceof String s) || s.length() > 32 * 1024 || s.indexOf('\0') >= 0) {
        throw invalid(field + "." + e.getKey() + " must be a string of at most 32768 characters");
      }
      out.put(e.getKey(), s);
    }
    return out;
  }
}
