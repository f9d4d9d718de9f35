package io.porthole.testkit;

import io.porthole.postgres.EmbeddedPostgres;
import io.porthole.postgres.PgSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL server per test JVM: an external one when {@code PORTHOLE_PG_URL} is set,
 * else the embedded server (run as an unprivileged user when the tests run as root). Each caller of
 * {@link #freshDatabase()} gets a database of its own, so test classes do not see each other's
 * rows.
 */
public final class TestPostgres {

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static PgSettings admin;
  private static EmbeddedPostgres embedded;

  private TestPostgres() {}

  /** The server's superuser settings (database {@code porthole}), starting it on first use. */
  public static synchronized PgSettings server() {
    if (admin == null) {
      String external = System.getenv("PORTHOLE_PG_URL");
      if (external != null && !external.isBlank()) {
        admin = PgSettings.fromUri(external);
      } else {
        try {
          Path dir = Files.createTempDirectory("porthole-test-pg-");
          Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
          embedded = EmbeddedPostgres.create(dir.resolve("postgres"), "porthole-pg", 0);
          admin = embedded.start();
          Runtime.getRuntime().addShutdownHook(new Thread(embedded::close, "test-pg-stop"));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return admin;
  }

  /** The embedded server, for tests that stop and restart it; null when external. */
  public static synchronized EmbeddedPostgres embedded() {
    server();
    return embedded;
  }

  /** A new, empty database on the test server. */
  public static PgSettings freshDatabase() {
    PgSettings s = server();
    String db = "t" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.user(), s.password());
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + db);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create test database " + db, e);
    }
    return new PgSettings(s.host(), s.port(), db, s.user(), s.password());
  }
}
