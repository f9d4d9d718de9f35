package io.porthole.common;

import io.vertx.core.http.HttpServerRequest;

/**
 * A handler the API's HTTP server consults before its own routes: the proxy claims the requests
 * that name an exposure (path form, subdomain hosts) and handles them; everything else goes to the
 * REST API.
 */
public interface FrontDoor {

  /** Whether this request is the proxy's (decided from its path and host only, never its body). */
  boolean claims(HttpServerRequest request);

  /** Handles a claimed request; the request is not paused or read before. */
  void handle(HttpServerRequest request);

  /** A front door that claims nothing. */
  FrontDoor NONE =
      new FrontDoor() {
        @Override
        public boolean claims(HttpServerRequest request) {
          return false;
        }

        @Override
        public void handle(HttpServerRequest request) {
          throw new IllegalStateException("claims nothing");
        }
      };
}
