package io.porthole.common;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ThreadLocalRandom;

/**
 * For a server's {@code invalidRequestHandler}: a request that could not be parsed (a line or
 * headers too long, conflicting {@code Content-Length}s, a broken chunk) gets 414, 431 or 400 with
 * a JSON body naming the problem, and its connection is closed (the framing of whatever follows
 * cannot be trusted). Vert.x's default answers 431 with an empty body and closes on the rest.
 */
public final class BadRequests {

  private BadRequests() {}

  public static void answer(HttpServerRequest req) {
    Throwable cause = req.decoderResult() == null ? null : req.decoderResult().cause();
    String detail = cause == null ? "malformed request" : String.valueOf(cause.getMessage());
    int status;
    String code;
    if (detail.startsWith("An HTTP line is larger than")) {
      status = 414;
      code = "uri_too_long";
    } else if (detail.startsWith("HTTP header is larger than")) {
      status = 431;
      code = "request_headers_too_large";
    } else {
      status = 400;
      code = "invalid_request";
    }
    String rid = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffffL);
    req.response()
        .setStatusCode(status)
        .putHeader("x-request-id", rid)
        .putHeader("cache-control", "no-store")
        .putHeader("connection", "close")
        .putHeader("content-type", "application/json")
        .end(
            new JsonObject()
                .put(
                    "error",
                    new JsonObject()
                        .put("code", code)
                        .put("message", "the request could not be parsed: " + detail)
                        .put("request_id", rid))
                .encode())
        .onComplete(ar -> req.connection().close());
  }
}
