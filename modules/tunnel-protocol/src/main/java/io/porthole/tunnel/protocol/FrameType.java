package io.porthole.tunnel.protocol;

/**
 * The table of frame types: wire code, which stream ids are legal, payload bounds and allowed flag
 * bits. {@link FrameCodec} validates every decoded frame against this table. A max payload of -1
 * means the type is bounded only by the connection's max frame payload.
 */
public enum FrameType {
  /** Opener to acceptor: a new stream; payload is opaque metadata describing the target. */
  OPEN(0x01, StreamIdRule.NON_ZERO, 0, -1, 0),
  /** Stream bytes; the payload counts against the receiver's window. */
  DATA(0x02, StreamIdRule.NON_ZERO, 0, -1, 0),
  /** FIN: the sender will send no more DATA on this stream. Empty payload. */
  HALF_CLOSE(0x03, StreamIdRule.NON_ZERO, 0, 0, 0),
  /** Abort a stream: uint32 error code followed by a UTF-8 reason. */
  RESET(0x04, StreamIdRule.NON_ZERO, 4, -1, 0),
  /** Grant the peer more send credit on a stream: uint32 increment in 1..2^31-1. */
  WINDOW_UPDATE(0x05, StreamIdRule.NON_ZERO, 4, 4, 0),
  /** Liveness and round-trip probe: 8 opaque bytes, echoed back with the ACK flag. */
  PING(0x06, StreamIdRule.ZERO, 8, 8, Frame.FLAG_ACK),
  /** The connection is closing: uint32 error code followed by a UTF-8 reason. */
  GOAWAY(0x07, StreamIdRule.ZERO, 4, -1, 0),
  /** A request or reply of the control channel: a UTF-8 JSON object. */
  CONTROL(0x08, StreamIdRule.ZERO, 2, -1, 0);

  /** Whether a frame type addresses a stream or the connection. */
  public enum StreamIdRule {
    /** Must be sent on stream 0 (connection level). */
    ZERO,
    /** Must name a stream (id 1..2^31-1). */
    NON_ZERO
  }

  private static final FrameType[] BY_CODE = new FrameType[256];

  static {
    for (FrameType type : values()) {
      BY_CODE[type.code] = type;
    }
  }

  private final int code;
  private final StreamIdRule streamIdRule;
  private final int minPayload;
  private final int maxPayload;
  private final int allowedFlags;

  FrameType(int code, StreamIdRule rule, int minPayload, int maxPayload, int allowedFlags) {
    this.code = code;
    this.streamIdRule = rule;
    this.minPayload = minPayload;
    this.maxPayload = maxPayload;
    this.allowedFlags = allowedFlags;
  }

  /** The type byte on the wire. */
  public int code() {
    return code;
  }

  /** Which stream ids this type may carry. */
  public StreamIdRule streamIdRule() {
    return streamIdRule;
  }

  /** The smallest legal payload length. */
  public int minPayload() {
    return minPayload;
  }

  /** The largest legal payload length, or -1 if only the connection's max frame size applies. */
  public int maxPayload() {
    return maxPayload;
  }

  /** The flag bits this type defines; all others must be zero. */
  public int allowedFlags() {
    return allowedFlags;
  }

  /** The type with this wire code, or {@code null} if unknown. */
  public static FrameType fromCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
