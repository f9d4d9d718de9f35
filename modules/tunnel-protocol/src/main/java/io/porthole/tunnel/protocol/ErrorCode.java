package io.porthole.tunnel.protocol;

/**
 * The error codes carried by RESET and GOAWAY frames (unsigned 32-bit on the wire).
 *
 * <p>Codes {@code 0x0000}–{@code 0x0FFF} are reserved for the protocol; codes from {@link
 * #FIRST_APPLICATION_CODE} upward are free for applications (e.g. a sandbox agent reporting why it
 * could not serve a stream). Receivers must accept codes they do not know and treat them like
 * {@link #INTERNAL_ERROR} for logic purposes.
 */
public enum ErrorCode {
  /** Orderly close; nothing went wrong. */
  NO_ERROR(0x0),
  /** The peer violated the protocol (bad frame, illegal state transition, unknown stream). */
  PROTOCOL_ERROR(0x1),
  /** The sender hit an unexpected internal failure. */
  INTERNAL_ERROR(0x2),
  /** The peer sent more DATA than the window it was granted, or overflowed a window. */
  FLOW_CONTROL_ERROR(0x3),
  /** A frame was malformed in size: too short, too long, or its length field lied. */
  FRAME_SIZE_ERROR(0x4),
  /** The acceptor refused a new stream (too many concurrent streams, or no handler). */
  REFUSED_STREAM(0x5),
  /** The application cancelled the stream. */
  CANCEL(0x6),
  /** The peer did not answer keep-alive PINGs within the dead-peer timeout. */
  DEAD_PEER(0x7),
  /** The frame carried a protocol version this implementation does not speak. */
  UNSUPPORTED_VERSION(0x8),
  /** The acceptor could not reach the target described by the OPEN metadata. */
  CONNECT_FAILED(0x9),
  /**
   * Local-only: the transport closed without a GOAWAY. Never sent on the wire; it only appears in
   * locally reported close reasons.
   */
  TRANSPORT_LOST(0xA);

  /** The first code applications may use for their own RESET reasons. */
  public static final int FIRST_APPLICATION_CODE = 0x1000;

  private static final ErrorCode[] BY_CODE = values();

  private final int code;

  ErrorCode(int code) {
    this.code = code;
  }

  /** The numeric code as sent on the wire. */
  public int code() {
    return code;
  }

  /** The protocol error code with this numeric value, or {@code null} if it is not one. */
  public static ErrorCode fromCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }

  /** A readable name for any code, including unknown and application-defined ones. */
  public static String describe(int code) {
    ErrorCode known = fromCode(code);
    return known != null ? known.name() : "0x" + Integer.toHexString(code);
  }
}
