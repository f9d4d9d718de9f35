package io.porthole.tunnel.mux;

import java.time.Duration;

/** No reply to a control request arrived within its timeout. */
public class ControlTimeoutException extends ControlException {

  private static final long serialVersionUID = 1L;

  public ControlTimeoutException(String command, Duration timeout) {
    super(
        TIMEOUT,
        "control request '" + command + "' got no reply within " + timeout.toMillis() + " ms");
  }
}
