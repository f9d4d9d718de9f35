package io.porthole.proxy;

import io.porthole.tunnel.carry.HttpOverTunnel;
import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What crosses the proxy in headers: hop-by-hop headers never do, nor the platform's own
 * credentials, nor Porthole's internal headers; the container learns who asked through
 * X-Forwarded-* and Forwarded; on the path form, redirects and cookies are rewritten back under the
 * prefix.
 */
final class HeaderRules {

  static final String AUTH_COOKIE = "porthole_auth";
  static final String SHARE_COOKIE = "porthole_share";
  static final String INTERNAL_PREFIX = "x-porthole-";

  private HeaderRules() {}

  /** Who asked, as this node understood it (after trusting only configured proxies). */
  record Client(String ip, String proto, String host, String forwardedFor) {}

  /** Headers for the container, from the client's. */
  static MultiMap toContainer(
      MultiMap in, Client client, Target target, String hostMode, boolean hasBody) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap().addAll(in);
    String connection = in.get("connection");
    if (connection != null) {
      for (String token : connection.split(",")) {
        out.remove(token.trim());
      }
    }
    boolean chunked = in.contains("transfer-encoding", "chunked", true);
    HttpOverTunnel.HOP_BY_HOP.forEach(out::remove);
    List<String> internal = new ArrayList<>();
    for (String name : out.names()) {
      if (name.toLowerCase(Locale.ROOT).startsWith(INTERNAL_PREFIX)) {
        internal.add(name);
      }
    }
    internal.forEach(out::remove);
    String auth = out.get("authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer phk_", 0, 11)) {
      out.remove("authorization");
    }
    stripAuthCookie(out);
    out.set("x-forwarded-for", client.forwardedFor());
    out.set("x-forwarded-proto", client.proto());
    out.set("x-forwarded-host", client.host());
    out.set(
        "forwarded",
        "for="
            + forwardedFor(client.ip())
            + ";proto="
            + client.proto()
            + ";host=\""
            + client.host()
            + "\"");
    if (target.door() == Target.Door.PATH || !target.prefix().isEmpty()) {
      out.set("x-forwarded-prefix", target.prefix());
    }
    if ("container".equals(hostMode)) {
      out.set("host", "localhost:" + target.port());
    } else if (client.host() != null) {
      out.set("host", client.host());
    }
    if (hasBody && chunked && !out.contains("content-length")) {
      // a marker for the sandbox end, which sends the body chunked
      out.set("transfer-encoding", "chunked");
    }
    return out;
  }

  private static String forwardedFor(String ip) {
    return ip.contains(":") ? "\"[" + ip + "]\"" : ip;
  }

  private static void stripAuthCookie(MultiMap headers) {
    List<String> cookies = headers.getAll("cookie");
    if (cookies.isEmpty()) {
      return;
    }
    List<String> kept = new ArrayList<>();
    for (String header : cookies) {
      for (String part : header.split(";")) {
        String p = part.trim();
        if (!p.isEmpty() && !p.startsWith(AUTH_COOKIE + "=") && !p.startsWith(SHARE_COOKIE + "=")) {
          kept.add(p);
        }
      }
    }
    headers.remove("cookie");
    if (!kept.isEmpty()) {
      headers.set("cookie", String.join("; ", kept));
    }
  }

  /** Headers for the client, from the container's. */
  static MultiMap toClient(MultiMap in, Target target) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap().addAll(in);
    String connection = in.get("connection");
    if (connection != null) {
      for (String token : connection.split(",")) {
        out.remove(token.trim());
      }
    }
    HttpOverTunnel.HOP_BY_HOP.forEach(out::remove);
    if (target.door() == Target.Door.PATH) {
      String location = out.get("location");
      if (location != null) {
        out.set("location", rewriteLocation(location, target));
      }
    }
    List<String> cookies = out.getAll("set-cookie");
    if (!cookies.isEmpty()) {
      out.remove("set-cookie");
      for (String c : cookies) {
        out.add("set-cookie", rewriteCookie(c, target));
      }
    }
    return out;
  }

  /** {@code /x} and {@code http://localhost:8080/x} become {@code <prefix>/x}. */
  static String rewriteLocation(String location, Target target) {
    String prefix = target.prefix();
    if (location.startsWith("/") && !location.startsWith("//")) {
      return location.startsWith(prefix + "/") ? location : prefix + location;
    }
    String lower = location.toLowerCase(Locale.ROOT);
    for (String local :
        List.of("http://localhost:" + target.port(), "http://127.0.0.1:" + target.port())) {
      if (lower.startsWith(local)) {
        String rest = location.substring(local.length());
        return prefix + (rest.isEmpty() ? "/" : rest);
      }
    }
    return location;
  }

  /**
   * A cookie stays on exactly the host that served it (its Domain attribute is dropped); on the
   * path form its Path goes under the prefix.
   */
  static String rewriteCookie(String setCookie, Target target) {
    String[] parts = setCookie.split(";");
    StringBuilder out = new StringBuilder(parts[0].trim());
    boolean hasPath = false;
    for (int i = 1; i < parts.length; i++) {
      String attr = parts[i].trim();
      String lower = attr.toLowerCase(Locale.ROOT);
      if (lower.startsWith("domain=")) {
        continue;
      }
      if (lower.startsWith("path=") && target.door() == Target.Door.PATH) {
        hasPath = true;
        String path = attr.substring(5).trim();
        attr = "Path=" + target.prefix() + (path.startsWith("/") ? path : "/" + path);
      }
      out.append("; ").append(attr);
    }
    if (!hasPath && target.door() == Target.Door.PATH) {
      out.append("; Path=").append(target.prefix()).append('/');
    }
    return out.toString();
  }
}
