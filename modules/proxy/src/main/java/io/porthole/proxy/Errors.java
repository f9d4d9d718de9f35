package io.porthole.proxy;

import io.porthole.common.ErrorCode;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * Error answers as users need them: a short HTML page for browsers, JSON for API clients, both
 * naming the problem and the request id that appears in the logs.
 */
final class Errors {

  private Errors() {}

  static boolean wantsHtml(HttpServerRequest req) {
    String accept = req.headers().get("accept");
    return accept != null && accept.contains("text/html");
  }

  static void respond(
      HttpServerRequest req, int status, String code, String message, String requestId) {
    respond(req, status, code, message, requestId, 0);
  }

  /**
   * With {@code retryAfter} > 0: a 503 that says when to come back (and a self-refreshing page).
   */
  static void respond(
      HttpServerRequest req,
      int status,
      String code,
      String message,
      String requestId,
      int retryAfter) {
    HttpServerResponse resp = req.response();
    if (resp.headWritten()) {
      resp.reset();
      return;
    }
    resp.setStatusCode(status)
        .putHeader("x-request-id", requestId)
        .putHeader("cache-control", "no-store");
    if (retryAfter > 0) {
      resp.putHeader("retry-after", Integer.toString(retryAfter));
    }
    if (wantsHtml(req)) {
      String refresh =
          retryAfter > 0 ? "<meta http-equiv=\"refresh\" content=\"" + retryAfter + "\">" : "";
      resp.putHeader("content-type", "text/html; charset=utf-8")
          .end(
              "<!doctype html><html><head><meta charset=\"utf-8\">"
                  + refresh
                  + "<title>"
                  + status
                  + " "
                  + escape(code)
                  + "</title></head><body><h1>"
                  + status
                  + " — "
                  + escape(code.replace('_', ' '))
                  + "</h1><p>"
                  + escape(message)
                  + "</p>"
                  + (retryAfter > 0 ? "<p>This page refreshes itself.</p>" : "")
                  + "<p><small>Request id "
                  + escape(requestId)
                  + " (Porthole)</small></p></body></html>");
    } else {
      resp.putHeader("content-type", "application/json")
          .end(
              new JsonObject()
                  .put(
                      "error",
                      new JsonObject()
                          .put("code", code)
                          .put("message", message)
                          .put("request_id", requestId))
                  .encode());
    }
  }

  static void respond(HttpServerRequest req, ErrorCode code, String message, String requestId) {
    respond(
        req,
        code.httpStatus(),
        code.wireName(),
        message,
        requestId,
        code == ErrorCode.UNAVAILABLE ? 2 : 0);
  }

  /**
   * For a server's {@code invalidRequestHandler}: a request that could not be parsed (a line or
   * headers too long, conflicting {@code Content-Length}s, a broken chunk) gets 414, 431 or 400
   * with a JSON body naming the problem, and its connection is closed (the framing of whatever
   * follows cannot be trusted).
   */
  static void invalidRequest(HttpServerRequest req) {
    io.porthole.common.BadRequests.answer(req);
  }

  static String escape(String s) {
    return s == null
        ? ""
        : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
