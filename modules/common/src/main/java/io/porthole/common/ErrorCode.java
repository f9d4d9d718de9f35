package io.porthole.common;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * The one table of failures: an event-bus failure code, the HTTP status an edge answers with, and
 * the snake_case name clients see in {@code {"error":{"code":..,"message":..}}}.
 */
public enum ErrorCode {
  INVALID(1, 400, "invalid_request"),
  UNAUTHORIZED(2, 401, "unauthorized"),
  FORBIDDEN(3, 403, "forbidden"),
  NOT_FOUND(4, 404, "not_found"),
  CONFLICT(5, 409, "conflict"),
  PAYLOAD_TOO_LARGE(6, 413, "payload_too_large"),
  QUOTA_EXCEEDED(7, 429, "quota_exceeded"),
  INTERNAL(8, 500, "internal_error"),
  BAD_GATEWAY(9, 502, "bad_gateway"),
  UNAVAILABLE(10, 503, "unavailable"),
  TIMEOUT(11, 504, "timeout");

  private final int code;
  private final int httpStatus;
  private final String wireName;

  ErrorCode(int code, int httpStatus, String wireName) {
    this.code = code;
    this.httpStatus = httpStatus;
    this.wireName = wireName;
  }

  /** The failure code carried by {@code Message.fail(code, text)}. */
  public int code() {
    return code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String wireName() {
    return wireName;
  }

  /** The JSON error body every edge returns. */
  public JsonObject body(String message) {
    return new JsonObject()
        .put("error", new JsonObject().put("code", wireName).put("message", message));
  }

  public static ErrorCode fromCode(int code) {
    for (ErrorCode c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    return INTERNAL;
  }

  /** The code whose {@link #wireName()} is {@code name}, or {@code fallback}. */
  public static ErrorCode fromWireName(String name, ErrorCode fallback) {
    for (ErrorCode c : values()) {
      if (c.wireName.equals(name)) {
        return c;
      }
    }
    return fallback;
  }

  /**
   * Maps any failure of an event-bus request to an error code: a recipient's typed failure keeps
   * its code, no handler means the part is unavailable (503), a timeout is a 504.
   */
  public static ErrorCode of(Throwable failure) {
    if (failure instanceof ReplyException re) {
      ReplyFailure type = re.failureType();
      if (type == ReplyFailure.TIMEOUT) {
        return TIMEOUT;
      }
      if (type == ReplyFailure.NO_HANDLERS) {
        return UNAVAILABLE;
      }
      return fromCode(re.failureCode());
    }
    if (failure instanceof PortholeException pe) {
      return pe.code();
    }
    return INTERNAL;
  }
}
