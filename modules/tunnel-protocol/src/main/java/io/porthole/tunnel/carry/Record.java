package io.porthole.tunnel.carry;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * One record of a carried exchange: a type and a payload. On the wire: type (1 byte), payload
 * length (4 bytes, big-endian), payload.
 */
public record Record(Type type, Buffer payload) {

  /** Record header size in bytes. */
  public static final int HEADER = 5;

  /** Largest payload a record may carry. */
  public static final int MAX_PAYLOAD = 16 * 1024 * 1024;

  /** The one table of record types. */
  public enum Type {
    /** Response head (http) or upgrade verdict (ws): JSON. */
    HEAD(1),
    /** A chunk of body. */
    BODY(2),
    /** Trailers after the body: JSON [[name, value], ...]. */
    TRAILERS(3),
    /** The sandbox could not serve the exchange: JSON {status, code, message}. */
    FAIL(4),
    /** WebSocket text message (UTF-8). */
    TEXT(5),
    /** WebSocket binary message. */
    BINARY(6),
    /** WebSocket ping (payload as sent). */
    PING(7),
    /** WebSocket pong. */
    PONG(8),
    /** WebSocket close: JSON {code, reason}. */
    CLOSE(9);

    private final int wire;

    Type(int wire) {
      this.wire = wire;
    }

    public int wire() {
      return wire;
    }

    static Type of(int wire) {
      for (Type t : values()) {
        if (t.wire == wire) {
          return t;
        }
      }
      return null;
    }
  }

  public JsonObject json() {
    return new JsonObject(payload);
  }

  /** The 5-byte header of a record with this payload length. */
  static Buffer header(Type type, int length) {
    return Buffer.buffer(HEADER).appendByte((byte) type.wire()).appendInt(length);
  }
}
