package io.porthole.tunnel.protocol;

/**
 * A violation of the tunnel protocol: a malformed frame, or a well-formed frame that is illegal in
 * the current state. The connection that sees one answers with a GOAWAY carrying {@link #code()}
 * and the message, then closes.
 */
public class ProtocolException extends Exception {

  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public ProtocolException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /** The error code to report in the GOAWAY frame. */
  public ErrorCode code() {
    return code;
  }

  @Override
  public String toString() {
    return "ProtocolException[" + code + "]: " + getMessage();
  }
}
