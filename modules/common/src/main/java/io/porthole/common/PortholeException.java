package io.porthole.common;

/** A failure that already knows which {@link ErrorCode} it is. */
public class PortholeException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public PortholeException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public PortholeException(ErrorCode code, String message, Throwable cause) {
    super(message, cause, false, false);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
