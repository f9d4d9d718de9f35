package io.porthole.tunnel.mux;

/** Which end of a tunnel connection a multiplexer is. */
public enum Role {
  /** The API side: opens streams towards the sandbox (allocates stream ids). */
  OPENER,
  /** The sandbox side: accepts streams opened by the API side. */
  ACCEPTOR
}
