package io.porthole.api;

import io.porthole.common.config.ConfigException;
import io.porthole.common.config.Settings;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/** The API server's part of the configuration, validated: bad values fail start-up. */
public record ApiConfig(
    String nodeId,
    String host,
    int port,
    long shutdownTimeoutMs,
    String publicUrl,
    String devSubdomain,
    boolean portsEnabled,
    List<int[]> reservedPorts,
    int maxBodyBytes,
    long createTimeoutMs) {

  public static ApiConfig from(JsonObject config) {
    String publicUrl = Settings.API_PUBLIC_URL.stringIn(config).trim();
    if (!publicUrl.isEmpty()) {
      try {
        URI u = URI.create(publicUrl);
        if (u.getHost() == null
            || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
          throw new IllegalArgumentException("no host");
        }
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new ConfigException(
            Settings.API_PUBLIC_URL,
            "expected an http(s) URL like https://porthole.example.com, got \"" + publicUrl + "\"");
      }
      while (publicUrl.endsWith("/")) {
        publicUrl = publicUrl.substring(0, publicUrl.length() - 1);
      }
    }
    List<int[]> reserved = new ArrayList<>();
    for (String e : Settings.PORTS_RESERVED.listIn(config)) {
      String s = e.trim();
      String[] parts = s.split("-");
      try {
        if (!s.matches("^\\d{1,5}(-\\d{1,5})?$")) {
          throw new NumberFormatException();
        }
        int first = Integer.parseInt(parts[0]);
        int last = parts.length == 2 ? Integer.parseInt(parts[1]) : first;
        if (first < 1 || last > 65535 || last < first) {
          throw new NumberFormatException();
        }
        reserved.add(new int[] {first, last});
      } catch (NumberFormatException ex) {
        throw new ConfigException(
            Settings.PORTS_RESERVED,
            "expected a port or a range like 30000-30099, got \"" + e + "\"");
      }
    }
    return new ApiConfig(
        Settings.NODE_ID.stringIn(config),
        Settings.HTTP_HOST.stringIn(config),
        Settings.HTTP_PORT.intIn(config),
        Settings.SHUTDOWN_TIMEOUT_MS.longIn(config),
        publicUrl,
        Settings.DEV_SUBDOMAIN.stringIn(config),
        Settings.PORTS_ENABLED.boolIn(config),
        List.copyOf(reserved),
        Settings.API_MAX_BODY_BYTES.intIn(config),
        Settings.SESSIONS_CREATE_TIMEOUT_MS.longIn(config));
  }

  public boolean isReserved(int port) {
    return reservedPorts.stream().anyMatch(r -> port >= r[0] && port <= r[1]);
  }
}
