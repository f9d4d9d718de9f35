package io.porthole.tunnel.mux;

import io.porthole.tunnel.protocol.ErrorCode;

/**
 * Why a tunnel connection closed.
 *
 * @param origin who ended it
 * @param code the GOAWAY error code sent or received ({@link ErrorCode#TRANSPORT_LOST} when the
 *     transport went away without one)
 * @param message a human-readable reason
 */
public record CloseReason(Origin origin, int code, String message) {

  /** Who ended the connection. */
  public enum Origin {
    /** This side sent GOAWAY: {@code close()}, a protocol violation by the peer, or a dead peer. */
    LOCAL,
    /** The peer sent GOAWAY. */
    REMOTE,
    /** The transport closed or failed without any GOAWAY. */
    TRANSPORT
  }

  /** The protocol error code, or {@code null} for an application-defined code. */
  public ErrorCode errorCode() {
    return ErrorCode.fromCode(code);
  }

  @Override
  public String toString() {
    return origin + " " + ErrorCode.describe(code) + ": " + message;
  }
}
