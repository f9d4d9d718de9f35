package io.porthole.common.config;

/** A configuration value that is missing or does not fit; the message names the key. */
public class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ConfigException(ConfigKey key, String problem) {
    super(
        "configuration key '"
            + key.name()
            + "'"
            + (key.env() == null ? "" : " (env " + key.env() + ")")
            + ": "
            + problem,
        null,
        false,
        false);
  }

  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
