package io.porthole.tunnel.mux;

/**
 * The tunnel connection closed while a stream, write, ping or control request was still
 * outstanding. One instance is shared by everything that failed because of the same close.
 */
public class TunnelClosedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient CloseReason reason;

  public TunnelClosedException(CloseReason reason) {
    super("tunnel closed (" + reason + ")", null, false, false);
    this.reason = reason;
  }

  /** Why the connection closed. */
  public CloseReason reason() {
    return reason;
  }
}
