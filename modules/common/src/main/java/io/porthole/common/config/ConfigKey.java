package io.porthole.common.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One configuration key: its dotted name, the environment variable that overrides it, its type and
 * default, and one line of documentation. {@link Settings} holds the table of all of them.
 */
public record ConfigKey(
    String name, String env, Type type, Object defaultValue, String doc, long min, long max) {

  /** The value types a key may hold. */
  public enum Type {
    STRING,
    INT,
    BOOL,
    LIST,
  }

  static ConfigKey string(String name, String env, String defaultValue, String doc) {
    return new ConfigKey(name, env, Type.STRING, defaultValue, doc, 0, 0);
  }

  static ConfigKey integer(String name, String env, long dflt, long min, long max, String doc) {
    return new ConfigKey(name, env, Type.INT, dflt, doc, min, max);
  }

  static ConfigKey bool(String name, String env, boolean dflt, String doc) {
    return new ConfigKey(name, env, Type.BOOL, dflt, doc, 0, 0);
  }

  static ConfigKey list(String name, String env, List<String> dflt, String doc) {
    return new ConfigKey(name, env, Type.LIST, new JsonArray(new ArrayList<>(dflt)), doc, 0, 0);
  }

  /** The system property that overrides this key: {@code porthole.} + its name. */
  public String sysProp() {
    return "porthole." + name;
  }

  /**
   * Turns a raw value (a JSON value from a file, or a string from the environment, a system
   * property or a flag) into this key's type.
   *
   * @throws ConfigException naming the key when the value does not fit
   */
  public Object coerce(Object raw) {
    if (raw == null) {
      return null;
    }
    switch (type) {
      case STRING:
        if (raw instanceof String || raw instanceof Number || raw instanceof Boolean) {
          return raw.toString();
        }
        throw invalid("a string", raw);
      case INT:
        long v;
        if (raw instanceof Number n && n.doubleValue() == n.longValue()) {
          v = n.longValue();
        } else if (raw instanceof String s && s.trim().matches("-?\\d{1,18}")) {
          v = Long.parseLong(s.trim());
        } else {
          throw invalid("an integer between " + min + " and " + max, raw);
        }
        if (v < min || v > max) {
          throw invalid("an integer between " + min + " and " + max, raw);
        }
        return v;
      case BOOL:
        if (raw instanceof Boolean) {
          return raw;
        }
        if (raw instanceof String s) {
          String t = s.trim().toLowerCase(Locale.ROOT);
          if (t.equals("true") || t.equals("false")) {
            return Boolean.valueOf(t);
          }
        }
        throw invalid("true or false", raw);
      case LIST:
        if (raw instanceof JsonArray a) {
          JsonArray out = new JsonArray();
          for (Object o : a) {
            if (!(o instanceof String)) {
              throw invalid("a list of strings", raw);
            }
            out.add(((String) o).trim());
          }
          return out;
        }
        if (raw instanceof String s) {
          JsonArray out = new JsonArray();
          for (String part : s.split(",")) {
            if (!part.isBlank()) {
              out.add(part.trim());
            }
          }
          return out;
        }
        throw invalid("a list of strings (JSON array or comma-separated)", raw);
      default:
        throw new IllegalStateException("unknown type " + type);
    }
  }

  private ConfigException invalid(String expected, Object raw) {
    String shown = raw instanceof String ? "\"" + raw + "\"" : String.valueOf(raw);
    return new ConfigException(this, "expected " + expected + ", got " + shown);
  }

  /** Reads this key from a loaded (validated, flat) configuration. */
  public String stringIn(JsonObject config) {
    return config.getString(name);
  }

  public int intIn(JsonObject config) {
    return Math.toIntExact(config.getLong(name));
  }

  public long longIn(JsonObject config) {
    return config.getLong(name);
  }

  public boolean boolIn(JsonObject config) {
    return config.getBoolean(name);
  }

  public List<String> listIn(JsonObject config) {
    List<String> out = new ArrayList<>();
    config.getJsonArray(name, new JsonArray()).forEach(o -> out.add((String) o));
    return out;
  }
}
