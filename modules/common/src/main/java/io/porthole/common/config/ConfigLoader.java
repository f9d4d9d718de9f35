package io.porthole.common.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads Porthole's configuration with vertx-config. Later sources win: key defaults, then the JSON
 * file, then environment variables, then system properties ({@code -Dporthole.<key>}), then
 * command-line flags. The result is flat (dotted keys), typed and validated; any problem fails with
 * one {@link ConfigException} naming the key.
 */
public final class ConfigLoader {

  /** What to load from. {@code file} may be null (no file). */
  public record Sources(
      Path file,
      boolean fileRequired,
      Map<String, String> env,
      Map<String, String> sysProps,
      JsonObject flags) {}

  private ConfigLoader() {}

  public static Future<JsonObject> load(Vertx vertx, Sources sources) {
    if (sources.file() != null && sources.fileRequired() && !Files.isRegularFile(sources.file())) {
      return Future.failedFuture(
          new ConfigException("configuration file " + sources.file() + " does not exist"));
    }
    ConfigRetrieverOptions options =
        new ConfigRetrieverOptions()
            .setScanPeriod(0)
            .setIncludeDefaultStores(false)
            .addStore(json(Settings.defaults()));
    if (sources.file() != null && Files.isRegularFile(sources.file())) {
      options.addStore(
          new ConfigStoreOptions()
              .setType("file")
              .setFormat("json")
              .setConfig(new JsonObject().put("path", sources.file().toString())));
    }
    options
        .addStore(json(fromEnv(sources.env())))
        .addStore(json(fromSysProps(sources.sysProps())))
        .addStore(json(sources.flags() == null ? new JsonObject() : sources.flags()));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    retriever.setConfigurationProcessor(raw -> Settings.validate(flatten(raw)));
    return retriever
        .getConfig()
        .recover(err -> Future.failedFuture(asConfigException(err, sources)))
        .eventually(retriever::close);
  }

  /** The environment variables that name a key, keyed by that key. */
  public static JsonObject fromEnv(Map<String, String> env) {
    JsonObject out = new JsonObject();
    for (ConfigKey key : Settings.ALL) {
      String v = env.get(key.env());
      if (v != null) {
        out.put(key.name(), v);
      }
    }
    return out;
  }

  /** The {@code porthole.<key>} system properties, keyed by that key. */
  public static JsonObject fromSysProps(Map<String, String> props) {
    JsonObject out = new JsonObject();
    for (ConfigKey key : Settings.ALL) {
      String v = props.get(key.sysProp());
      if (v != null) {
        out.put(key.name(), v);
      }
    }
    return out;
  }

  /** Nested objects ({@code {"http":{"port":1}}}) become dotted keys ({@code "http.port"}). */
  static JsonObject flatten(JsonObject in) {
    JsonObject out = new JsonObject();
    flattenInto("", in, out);
    return out;
  }

  private static void flattenInto(String prefix, JsonObject in, JsonObject out) {
    for (Map.Entry<String, Object> e : in) {
      String name = prefix + e.getKey();
      if (e.getValue() instanceof JsonObject nested && Settings.byName(name).isEmpty()) {
        flattenInto(name + ".", nested, out);
      } else {
        out.put(name, e.getValue());
      }
    }
  }

  private static Throwable asConfigException(Throwable err, Sources sources) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof ConfigException) {
        return t;
      }
    }
    return new ConfigException(
        "configuration file " + sources.file() + " could not be read: " + err.getMessage());
  }

  private static ConfigStoreOptions json(JsonObject values) {
    return new ConfigStoreOptions().setType("json").setConfig(values);
  }
}
