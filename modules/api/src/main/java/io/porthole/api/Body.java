package io.porthole.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict reading of JSON request bodies: malformed JSON, a non-object, an unknown field, a value of
 * the wrong type or out of range each fail with INVALID naming the field. Field names in messages
 * are dotted paths ({@code policy.cors.mode}).
 */
final class Body {

  private Body() {}

  /** The body as an object; an empty body is {@code {}} when {@code emptyAllowed}. */
  static JsonObject object(Buffer body, boolean emptyAllowed) {
    if (body == null || body.length() == 0 || body.toString().isBlank()) {
      if (emptyAllowed) {
        return new JsonObject();
      }
      throw Http.invalid("a JSON object body is required");
    }
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw Http.invalid("the body is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (!(value instanceof JsonObject o)) {
      throw Http.invalid("the body must be a JSON object");
    }
    return o;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "malformed";
    }
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  static void allowOnly(JsonObject o, Set<String> allowed, String prefix) {
    for (String f : new TreeSet<>(o.fieldNames())) {
      if (!allowed.contains(f)) {
        throw Http.invalid(
            "unknown field '"
                + prefix
                + f
                + "' (allowed: "
                + String.join(", ", new TreeSet<>(allowed))
                + ")");
      }
    }
  }

  private static String typeOf(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String) {
      return "a string";
    }
    if (v instanceof Boolean) {
      return "a boolean";
    }
    if (v instanceof Number) {
      return "a number";
    }
    if (v instanceof JsonArray) {
      return "an array";
    }
    return "an object";
  }

  static Long optLong(JsonObject o, String f, String path, long min, long max) {
    Object v = o.getValue(f);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Integer || v instanceof Long)) {
      throw Http.invalid(
          "'"
              + path
              + "' must be an integer between "
              + min
              + " and "
              + max
              + ", got "
              + typeOf(v));
    }
    long n = ((Number) v).longValue();
    if (n < min || n > max) {
      throw Http.invalid("'" + path + "' must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  static String optString(
      JsonObject o, String f, String path, int maxLength, String pattern, String shape) {
    Object v = o.getValue(f);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw Http.invalid("'" + path + "' must be a string, got " + typeOf(v));
    }
    if (s.length() > maxLength) {
      throw Http.invalid("'" + path + "' is longer than " + maxLength + " characters");
    }
    if (pattern != null && !s.matches(pattern)) {
      throw Http.invalid("'" + path + "' must be " + shape + ", got \"" + s + "\"");
    }
    return s;
  }

  static String optEnum(JsonObject o, String f, String path, List<String> values) {
    Object v = o.getValue(f);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s) || !values.contains(s)) {
      throw Http.invalid(
          "'" + path + "' must be one of " + String.join(", ", values) + ", got " + shown(v));
    }
    return s;
  }

  private static String shown(Object v) {
    return v instanceof String s ? "\"" + s + "\"" : typeOf(v);
  }

  static Boolean optBool(JsonObject o, String f, String path) {
    Object v = o.getValue(f);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Boolean b)) {
      throw Http.invalid("'" + path + "' must be true or false, got " + typeOf(v));
    }
    return b;
  }

  static JsonObject optObject(JsonObject o, String f, String path) {
    Object v = o.getValue(f);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject obj)) {
      throw Http.invalid("'" + path + "' must be an object, got " + typeOf(v));
    }
    return obj;
  }

  static JsonArray optStrings(JsonObject o, String f, String path, int maxItems, int maxLength) {
    Object v = o.getValue(f);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonArray a)) {
      throw Http.invalid("'" + path + "' must be an array of strings, got " + typeOf(v));
    }
    if (a.size() > maxItems) {
      throw Http.invalid("'" + path + "' has more than " + maxItems + " items");
    }
    for (int i = 0; i < a.size(); i++) {
      Object item = a.getValue(i);
      if (!(item instanceof String s)) {
        throw Http.invalid("'" + path + "[" + i + "]' must be a string, got " + typeOf(item));
      }
      if (s.length() > maxLength) {
        throw Http.invalid("'" + path + "[" + i + "]' is longer than " + maxLength + " characters");
      }
    }
    return a;
  }

  /** An object of string values whose keys match {@code keyPattern}. */
  static JsonObject optStringMap(
      JsonObject o,
      String f,
      String path,
      int maxEntries,
      String keyPattern,
      String keyShape,
      int maxValueLength) {
    JsonObject m = optObject(o, f, path);
    if (m == null) {
      return null;
    }
    if (m.size() > maxEntries) {
      throw Http.invalid("'" + path + "' has more than " + maxEntries + " entries");
    }
    for (String k : new TreeSet<>(m.fieldNames())) {
      if (!k.matches(keyPattern)) {
        throw Http.invalid("'" + path + "' key \"" + k + "\" must be " + keyShape);
      }
      Object v = m.getValue(k);
      if (!(v instanceof String s)) {
        throw Http.invalid("'" + path + "." + k + "' must be a string, got " + typeOf(v));
      }
      if (s.length() > maxValueLength) {
        throw Http.invalid(
            "'" + path + "." + k + "' is longer than " + maxValueLength + " characters");
      }
    }
    return m;
  }
}
