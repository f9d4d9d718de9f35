package io.porthole.registry;

import io.porthole.common.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Reads fields of an event-bus request. Callers (the API) validate strictly first; these checks
 * only keep a malformed internal request from reaching the store.
 */
final class Req {

  private Req() {}

  static String str(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (!(v instanceof String s) || s.isEmpty()) {
      throw Failures.error(ErrorCode.INVALID, "'" + field + "' is required (a string)");
    }
    return s;
  }

  static String optStr(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw Failures.error(ErrorCode.INVALID, "'" + field + "' must be a string");
    }
    return s;
  }

  static int port(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (!(v instanceof Integer || v instanceof Long)
        || ((Number) v).longValue() < 1
        || ((Number) v).longValue() > 65535) {
      throw Failures.error(ErrorCode.INVALID, "'" + field + "' must be an integer in 1-65535");
    }
    return ((Number) v).intValue();
  }

  static boolean bool(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v != null && !(v instanceof Boolean)) {
      throw Failures.error(ErrorCode.INVALID, "'" + field + "' must be true or false");
    }
    return Boolean.TRUE.equals(v);
  }

  static JsonObject obj(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject o)) {
      throw Failures.error(ErrorCode.INVALID, "'" + field + "' must be an object");
    }
    return o;
  }

  static JsonArray arr(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) {
      return new JsonArray();
    }
    if (!(v instanceof JsonArray a)) {
      throw Failures.error(ErrorCode.INVALID, "'" + field + "' must be an array");
    }
    return a;
  }
}
