package io.porthole.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;

/**
 * The URLs an exposure is reachable at: the path form always, subdomain forms when {@code
 * proxy.dev_subdomain} is set, the port form when it has a host port. Scheme, host and port come
 * from {@code api.public_url}, or from the request's Host header when that is empty.
 */
final class Urls {

  private final String scheme;
  private final String host;
  private final String portSuffix;
  private final String base;
  private final String domain;

  private Urls(String scheme, String host, int port, String path, String domain) {
    this.scheme = scheme;
    this.host = host;
    this.portSuffix = port < 0 ? "" : ":" + port;
    String h = host.contains(":") ? "[" + host + "]" : host;
    this.base = scheme + "://" + h + portSuffix + path;
    this.domain = domain;
  }

  static Urls of(ApiConfig cfg, RoutingContext ctx) {
    String publicUrl = cfg.publicUrl();
    if (publicUrl.isEmpty()) {
      String authority =
          ctx.request().authority() == null ? null : ctx.request().authority().toString();
      String scheme = ctx.request().isSSL() ? "https" : "http";
      publicUrl =
          scheme + "://" + (authority == null || authority.isBlank() ? "localhost" : authority);
    }
    URI u = URI.create(publicUrl);
    String h = u.getHost() == null ? "localhost" : u.getHost();
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/+$", "");
    return new Urls(u.getScheme(), h, u.getPort(), path, cfg.devSubdomain());
  }

  /** {@code ses_01kf…} → {@code ses-01kf…}: session ids hold {@code _}, DNS labels may not. */
  static String hostLabel(String sessionId) {
    return sessionId.replace('_', '-');
  }

  /** The API's base URL, e.g. for the dev container to reach it. */
  String base() {
    return base;
  }

  String path(String sessionId, int port) {
    return base + "/api/v1/sessions/" + sessionId + "/proxy/" + port + "/";
  }

  private String subdomain(String label) {
    return scheme + "://" + label + "." + domain + portSuffix + "/";
  }

  /** Every URL of an exposure, the preferred one first. */
  JsonArray forExposure(JsonObject e) {
    String id = e.getString("session_id");
    int port = e.getInteger("port");
    Integer allocated = e.getInteger("allocated_port");
    String h = host.contains(":") ? "[" + host + "]" : host;
    JsonArray out = new JsonArray();
    if (e.getString("protocol").equals("tcp")) {
      if (allocated != null) {
        out.add("tcp://" + h + ":" + allocated);
      }
      return out;
    }
    if (!domain.isEmpty()) {
      String name = e.getString("name");
      if (name != null) {
        out.add(subdomain(name + "-" + hostLabel(id)));
      }
      out.add(subdomain(hostLabel(id) + "-" + port));
    }
    out.add(path(id, port));
    if (allocated != null) {
      out.add("http://" + h + ":" + allocated + "/");
    }
    return out;
  }

  /** A share link's URLs: the subdomain form when configured, and the path form with its token. */
  JsonArray forShare(String sessionId, int port, String token) {
    JsonArray out = new JsonArray();
    if (!domain.isEmpty()) {
      out.add(subdomain("sh-" + token));
    }
    out.add(path(sessionId, port) + "?porthole_share=" + token);
    return out;
  }
}
