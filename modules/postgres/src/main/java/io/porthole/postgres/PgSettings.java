package io.porthole.postgres;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Where a PostgreSQL server is and how to log in; embedded or external alike. */
public record PgSettings(String host, int port, String database, String user, String password) {

  /** Parses {@code postgresql://user:password@host:port/database}. */
  public static PgSettings fromUri(String uri) {
    URI u = URI.create(uri.replaceFirst("^postgres(ql)?://", "postgresql://"));
    if (u.getHost() == null) {
      throw new IllegalArgumentException("no host in " + redact(uri));
    }
    String user = "postgres";
    String password = "";
    if (u.getRawUserInfo() != null) {
      String[] parts = u.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : "";
    }
    String db =
        u.getPath() == null || u.getPath().length() <= 1 ? "postgres" : u.getPath().substring(1);
    return new PgSettings(u.getHost(), u.getPort() == -1 ? 5432 : u.getPort(), db, user, password);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  /** The full URI, password included (URL-encoded): for configuration, never for logs. */
  public String uri() {
    return "postgresql://"
        + URLEncoder.encode(user, StandardCharsets.UTF_8)
        + ":"
        + URLEncoder.encode(password, StandardCharsets.UTF_8)
        + "@"
        + host
        + ":"
        + port
        + "/"
        + database;
  }

  /** A URI with the password left out, for logs. */
  public String display() {
    return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return display();
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static String redact(String uri) {
    return uri.replaceAll("://[^@/]*@", "://***@");
  }
}
