package io.porthole.tunnel.carry;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;

/**
 * What a tunnel stream carries and to which (session, port): the OPEN metadata, JSON. The sandbox
 * resolves the session's container itself; a stream never names an address.
 *
 * @param kind http, ws or tcp
 * @param sessionId the session whose dev container is the target
 * @param port the container port
 * @param head for http: {method, uri, headers}; for ws: {uri, headers}; empty for tcp
 */
public record StreamTarget(Kind kind, String sessionId, int port, JsonObject head) {

  /** What travels on the stream. */
  public enum Kind {
    HTTP,
    WS,
    TCP;

    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static StreamTarget http(
      String sessionId, int port, String method, String uri, MultiMap headers) {
    return new StreamTarget(
        Kind.HTTP,
        sessionId,
        port,
        new JsonObject()
            .put("method", method)
            .put("uri", uri)
            .put("headers", headersToJson(headers)));
  }

  public static StreamTarget ws(String sessionId, int port, String uri, MultiMap headers) {
    return new StreamTarget(
        Kind.WS,
        sessionId,
        port,
        new JsonObject().put("uri", uri).put("headers", headersToJson(headers)));
  }

  public static StreamTarget tcp(String sessionId, int port) {
    return new StreamTarget(Kind.TCP, sessionId, port, new JsonObject());
  }

  public Buffer encode() {
    return new JsonObject()
        .put("kind", kind.wire())
        .put("session_id", sessionId)
        .put("port", port)
        .put("head", head)
        .toBuffer();
  }

  /**
   * Parses OPEN metadata.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static StreamTarget decode(Buffer metadata) {
    JsonObject json;
    try {
      json = new JsonObject(metadata);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("stream metadata is not a JSON object");
    }
    String kind = json.getValue("kind") instanceof String k ? k : "";
    Kind parsed =
        switch (kind) {
          case "http" -> Kind.HTTP;
          case "ws" -> Kind.WS;
          case "tcp" -> Kind.TCP;
          default -> throw new IllegalArgumentException("unknown stream kind '" + kind + "'");
        };
    if (!(json.getValue("session_id") instanceof String session) || session.isEmpty()) {
      throw new IllegalArgumentException("stream metadata has no session_id");
    }
    if (!(json.getValue("port") instanceof Integer port) || port < 1 || port > 65535) {
      throw new IllegalArgumentException("stream metadata has no port in 1..65535");
    }
    JsonObject head = json.getValue("head") instanceof JsonObject h ? h : new JsonObject();
    if (parsed != Kind.TCP && !(head.getValue("uri") instanceof String)) {
      throw new IllegalArgumentException("stream metadata has no head.uri");
    }
    if (parsed == Kind.HTTP && !(head.getValue("method") instanceof String)) {
      throw new IllegalArgumentException("stream metadata has no head.method");
    }
    return new StreamTarget(parsed, session, port, head);
  }

  public String method() {
    return head.getString("method");
  }

  public String uri() {
    return head.getString("uri");
  }

  public MultiMap headers() {
    return headersFromJson(head.getJsonArray("headers"));
  }

  /** Headers as [[name, value], ...], keeping order and repeats. */
  public static JsonArray headersToJson(MultiMap headers) {
    JsonArray out = new JsonArray();
    if (headers != null) {
      for (Map.Entry<String, String> e : headers) {
        out.add(new JsonArray().add(e.getKey()).add(e.getValue()));
      }
    }
    return out;
  }

  public static MultiMap headersFromJson(JsonArray json) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    if (json != null) {
      for (Object o : json) {
        if (o instanceof JsonArray pair
            && pair.size() == 2
            && pair.getValue(0) instanceof String k
            && pair.getValue(1) instanceof String v) {
          out.add(k, v);
        }
      }
    }
    return out;
  }
}
