package io.porthole.proxy;

import io.porthole.common.config.Settings;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** The proxy's part of the configuration. */
record ProxyConfig(
    String nodeId,
    String httpHost,
    String devSubdomain,
    Set<String> trustedProxies,
    String internalHost,
    int internalPort,
    long responseHeaderTimeoutMs,
    long hopWaitTimeoutMs) {

  static ProxyConfig from(JsonObject config) {
    return new ProxyConfig(
        Settings.NODE_ID.stringIn(config),
        Settings.HTTP_HOST.stringIn(config),
        Settings.DEV_SUBDOMAIN.stringIn(config),
        Set.copyOf(Settings.PROXY_TRUSTED_PROXIES.listIn(config)),
        Settings.CLUSTER_HOST.stringIn(config),
        Settings.PROXY_INTERNAL_PORT.intIn(config),
        Settings.PROXY_RESPONSE_HEADER_TIMEOUT_MS.longIn(config),
        Settings.PROXY_HOP_WAIT_TIMEOUT_MS.longIn(config));
  }

  /**
   * Who asked: X-Forwarded-Proto/-Host/-For are believed only from a configured proxy; otherwise
   * the connection itself says.
   */
  HeaderRules.Client clientOf(HttpServerRequest req) {
    String peer = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
    boolean trusted = trustedProxies.contains(peer);
    String proto = req.isSSL() ? "https" : "http";
    String host = req.authority() != null ? req.authority().toString() : req.headers().get("host");
    String ip = peer;
    String chain = peer;
    if (trusted) {
      String xfProto = req.headers().get("x-forwarded-proto");
      String xfHost = req.headers().get("x-forwarded-host");
      String xff = req.headers().get("x-forwarded-for");
      if (xfProto != null && (xfProto.equals("http") || xfProto.equals("https"))) {
        proto = xfProto;
      }
      if (xfHost != null && !xfHost.isBlank()) {
        host = xfHost.trim();
      }
      if (xff != null && !xff.isBlank()) {
        ip = xff.split(",")[0].trim();
        chain = xff.trim() + ", " + peer;
      }
    }
    return new HeaderRules.Client(ip, proto, host == null ? "" : host, chain);
  }
}
