package io.porthole.tunnel.mux;

/**
 * A control request failed: the peer answered with an error reply ({@link #code()} and message), or
 * it could not be delivered. A control handler may fail its future with this exception to choose
 * the error code the requester sees.
 */
public class ControlException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Error code of a reply when the peer has no control handler installed. */
  public static final String NO_HANDLER = "NO_HANDLER";

  /** Error code of a reply when the handler failed with something other than this exception. */
  public static final String HANDLER_FAILED = "HANDLER_FAILED";

  /** Error code of a reply whose successful body did not fit in one CONTROL frame. */
  public static final String REPLY_TOO_LARGE = "REPLY_TOO_LARGE";

  /** Error code used locally when no reply arrived within the timeout. */
  public static final String TIMEOUT = "TIMEOUT";

  private final String code;

  public ControlException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /** The error code (one of the constants here, or an application code). */
  public String code() {
    return code;
  }

  @Override
  public String toString() {
    return "ControlException[" + code + "]: " + getMessage();
  }
}
