package io.porthole.proxy;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a request's path or host into a {@link Target}. The path form is {@code
 * /api/v1/sessions/{id}/proxy/{port}/…}; subdomain hosts under {@code dev_subdomain} are {@code
 * ses-<id>-<port>}, {@code p<port>-ses-<id>} and {@code <name>-ses-<id>} (a session id's {@code _}
 * becomes {@code -}: DNS labels may not hold {@code _}).
 */
final class FrontDoors {

  static final Pattern PATH =
      Pattern.compile("^/api/v1/sessions/([^/]+)/proxy/([^/]+)(/[^?]*)?(\\?.*)?$");
  private static final Pattern SESSION_ID = Pattern.compile("^ses_[a-z0-9]{1,40}$");
  private static final Pattern BY_PORT = Pattern.compile("^ses-([a-z0-9]{1,40})-(\\d{1,5})$");
  private static final Pattern SHARE = Pattern.compile("^sh-([a-z0-9]{16,60})$");
  private static final Pattern SHARE_PARAM =
      Pattern.compile("(^|&)porthole_share=([a-z0-9]{16,60})(&|$)");
  private static final Pattern P_PORT = Pattern.compile("^p(\\d{1,5})-ses-([a-z0-9]{1,40})$");
  private static final Pattern BY_NAME =
      Pattern.compile("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)-ses-([a-z0-9]{1,40})$");
  private static final Pattern DOT_SEGMENT =
      Pattern.compile("(^|/)(\\.|%2e){1,2}(/|$|\\?)", Pattern.CASE_INSENSITIVE);

  private final String domain;

  FrontDoors(String devSubdomain) {
    this.domain = devSubdomain == null ? "" : devSubdomain.toLowerCase(Locale.ROOT);
  }

  boolean isPathForm(String rawPath) {
    return rawPath.startsWith("/api/v1/sessions/") && rawPath.contains("/proxy/");
  }

  /** The label of a host under the dev subdomain, or null when the host is outside it. */
  String subdomainLabel(String host) {
    if (domain.isEmpty() || host == null) {
      return null;
    }
    String h = host.toLowerCase(Locale.ROOT);
    int colon = h.lastIndexOf(':');
    if (colon > 0 && h.indexOf(']') < colon) {
      h = h.substring(0, colon);
    }
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (!h.endsWith("." + domain)) {
      return null;
    }
    String label = h.substring(0, h.length() - domain.length() - 1);
    return label.isEmpty() || label.contains(".") ? null : label;
  }

  /**
   * The target of a path-form URI.
   *
   * @throws PortholeException INVALID for dot segments or a bad port, NOT_FOUND for no session id
   */
  Target fromPath(String rawUri) {
    Matcher m = PATH.matcher(rawUri);
    if (!m.matches()) {
      throw new PortholeException(ErrorCode.NOT_FOUND, "no route for " + rawUri);
    }
    String session = m.group(1);
    if (!SESSION_ID.matcher(session).matches()) {
      throw new PortholeException(ErrorCode.NOT_FOUND, "no session " + session);
    }
    int port = port(m.group(2));
    String rest = m.group(3) == null ? "/" : m.group(3);
    String query = m.group(4) == null ? "" : m.group(4);
    checkPath(rest);
    String prefix = "/api/v1/sessions/" + session + "/proxy/" + port;
    Matcher share = SHARE_PARAM.matcher(query.isEmpty() ? "" : query.substring(1));
    return new Target(
        Target.Door.PATH,
        session,
        port,
        null,
        0,
        prefix,
        rest + query,
        share.find() ? share.group(2) : null);
  }

  /** Whether a path-form URI names the prefix alone, without the slash that starts the path. */
  static boolean isBarePrefix(String rawUri) {
    Matcher m = PATH.matcher(rawUri);
    return m.matches() && m.group(3) == null;
  }

  /** The target of a subdomain label (see {@link #subdomainLabel}). */
  Target fromSubdomain(String label, String rawUri) {
    checkPath(rawUri);
    Matcher share = SHARE.matcher(label);
    if (share.matches()) {
      return new Target(Target.Door.SUBDOMAIN, null, 0, null, 0, "", rawUri, share.group(1));
    }
    Matcher m = BY_PORT.matcher(label);
    if (m.matches()) {
      return new Target(
          Target.Door.SUBDOMAIN, "ses_" + m.group(1), port(m.group(2)), null, 0, "", rawUri);
    }
    m = P_PORT.matcher(label);
    if (m.matches()) {
      return new Target(
          Target.Door.SUBDOMAIN, "ses_" + m.group(2), port(m.group(1)), null, 0, "", rawUri);
    }
    m = BY_NAME.matcher(label);
    if (m.matches()) {
      return new Target(Target.Door.SUBDOMAIN, "ses_" + m.group(3), 0, m.group(1), 0, "", rawUri);
    }
    throw new PortholeException(ErrorCode.NOT_FOUND, "no exposure is named by host label " + label);
  }

  static int port(String s) {
    if (s == null || !s.matches("\\d{1,5}")) {
      throw new PortholeException(ErrorCode.INVALID, "port must be a number in 1..65535, got " + s);
    }
    int p = Integer.parseInt(s);
    if (p < 1 || p > 65535) {
      throw new PortholeException(ErrorCode.INVALID, "port must be in 1..65535, got " + p);
    }
    return p;
  }

  /** Refuses {@code .} and {@code ..} segments, plain or percent-encoded. */
  static void checkPath(String rawUri) {
    int q = rawUri.indexOf('?');
    String path = q >= 0 ? rawUri.substring(0, q) : rawUri;
    if (DOT_SEGMENT.matcher(path).find()
        || path.contains("\\")
        || path.toLowerCase(Locale.ROOT).contains("%5c")) {
      throw new PortholeException(
          ErrorCode.INVALID, "the path may not contain '.' or '..' segments (plain or encoded)");
    }
    if (!path.startsWith("/")) {
      throw new PortholeException(ErrorCode.INVALID, "the path must start with '/'");
    }
  }
}
