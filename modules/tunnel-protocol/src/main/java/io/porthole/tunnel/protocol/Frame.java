package io.porthole.tunnel.protocol;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One decoded frame. The payload of a decoded frame is a slice of the received buffer, not a copy.
 * Typed accessors read the structured payloads of RESET, GOAWAY, WINDOW_UPDATE and PING.
 *
 * @param type the frame type
 * @param flags the flag bits (only {@link #FLAG_ACK} on PING is defined in version 1)
 * @param streamId the stream id, 0 for connection-level frames
 * @param payload the payload, never {@code null}
 */
public record Frame(FrameType type, int flags, int streamId, Buffer payload) {

  /** PING flag: this PING is the reply to a PING with the same opaque data. */
  public static final int FLAG_ACK = 0x01;

  /** Reasons in RESET and GOAWAY frames are cut to at most this many characters. */
  public static final int MAX_REASON_CHARS = 512;

  public Frame {
    Objects.requireNonNull(type, "type");
    payload = payload == null ? Buffer.buffer(0) : payload;
  }

  /** OPEN: the opener announces stream {@code streamId} with opaque target metadata. */
  public static Frame open(int streamId, Buffer metadata) {
    return new Frame(FrameType.OPEN, 0, streamId, metadata);
  }

  /** DATA: stream bytes. */
  public static Frame data(int streamId, Buffer data) {
    return new Frame(FrameType.DATA, 0, streamId, data);
  }

  /** HALF_CLOSE: the sender is done sending on this stream. */
  public static Frame halfClose(int streamId) {
    return new Frame(FrameType.HALF_CLOSE, 0, streamId, null);
  }

  /** RESET: abort the stream with a code and reason. */
  public static Frame reset(int streamId, int code, String reason) {
    return new Frame(FrameType.RESET, 0, streamId, codeAndReason(code, reason));
  }

  /** WINDOW_UPDATE: grant {@code increment} more bytes of send credit. */
  public static Frame windowUpdate(int streamId, int increment) {
    return new Frame(FrameType.WINDOW_UPDATE, 0, streamId, Buffer.buffer(4).appendInt(increment));
  }

  /** PING with 8 bytes of opaque data. */
  public static Frame ping(long opaque) {
    return new Frame(FrameType.PING, 0, 0, Buffer.buffer(8).appendLong(opaque));
  }

  /** The reply to a PING: the same opaque data with the ACK flag. */
  public static Frame pingAck(long opaque) {
    return new Frame(FrameType.PING, FLAG_ACK, 0, Buffer.buffer(8).appendLong(opaque));
  }

  /** GOAWAY: the connection is closing, with a code and reason. */
  public static Frame goAway(int code, String reason) {
    return new Frame(FrameType.GOAWAY, 0, 0, codeAndReason(code, reason));
  }

  /** CONTROL: a UTF-8 JSON control message. */
  public static Frame control(Buffer json) {
    return new Frame(FrameType.CONTROL, 0, 0, json);
  }

  /** Whether the ACK flag is set. */
  public boolean isAck() {
    return (flags & FLAG_ACK) != 0;
  }

  /** The error code of a RESET or GOAWAY frame. */
  public int errorCode() {
    requireType(FrameType.RESET, FrameType.GOAWAY);
    return payload.getInt(0);
  }

  /** The UTF-8 reason of a RESET or GOAWAY frame (may be empty). */
  public String reason() {
    requireType(FrameType.RESET, FrameType.GOAWAY);
    return payload.getString(4, payload.length(), StandardCharsets.UTF_8.name());
  }

  /** The credit increment of a WINDOW_UPDATE frame. */
  public int windowIncrement() {
    requireType(FrameType.WINDOW_UPDATE);
    return payload.getInt(0);
  }

  /** The opaque data of a PING frame. */
  public long pingData() {
    requireType(FrameType.PING);
    return payload.getLong(0);
  }

  @Override
  public String toString() {
    return type + "{stream=" + streamId + ", flags=" + flags + ", length=" + payload.length() + "}";
  }

  private void requireType(FrameType... allowed) {
    for (FrameType candidate : allowed) {
      if (type == candidate) {
        return;
      }
    }
    throw new IllegalStateException(type + " frame has no such field");
  }

  private static Buffer codeAndReason(int code, String reason) {
    String text = reason == null ? "" : reason;
    if (text.length() > MAX_REASON_CHARS) {
      text = text.substring(0, MAX_REASON_CHARS);
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return Buffer.buffer(4 + bytes.length).appendInt(code).appendBytes(bytes);
  }
}
