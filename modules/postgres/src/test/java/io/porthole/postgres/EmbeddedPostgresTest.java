package io.porthole.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedPostgresTest {

  private static Path dir;
  private static EmbeddedPostgres pg;
  private static PgSettings settings;

  @BeforeAll
  static void start() throws IOException {
    Path tmp = Files.createTempDirectory("porthole-pg-test-");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    dir = tmp.resolve("postgres");
    pg = EmbeddedPostgres.create(dir, "porthole-pg", 0);
    settings = pg.start();
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password());
  }

  private static String ownerOf(long pid) throws IOException {
    String status = Files.readString(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8);
    String uid = status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
    return uid.split("\\s+")[1];
  }

  @Test
  @Order(1)
  @DisplayName("The server answers SQL on loopback in the porthole database")
  void answers() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT current_database(), version()")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("porthole");
      assertThat(rs.getString(2)).startsWith("PostgreSQL 17");
    }
    assertThat(settings.host()).isEqualTo("127.0.0.1");
  }

  @Test
  @Order(2)
  @DisplayName("As root, the server runs as the unprivileged user, who owns the data directory")
  void unprivileged() throws IOException, InterruptedException {
    String myUid = ownerOf(ProcessHandle.current().pid());
    String pgUid = ownerOf(pg.pid());
    if (myUid.equals("0")) {
      Process id = new ProcessBuilder("id", "-u", "porthole-pg").start();
      String expected =
          new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      id.waitFor();
      assertThat(pgUid).isEqualTo(expected).isNotEqualTo("0");
      assertThat(Files.getOwner(pg.dataDir()).getName()).isEqualTo("porthole-pg");
    } else {
      assertThat(pgUid).isEqualTo(myUid);
    }
    assertThat(pg.dataDir()).startsWith(dir);
  }

  @Test
  @Order(3)
  @DisplayName("Data survives a stop and a start on the same directory and port")
  void restartKeepsData() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE kept (v TEXT)");
      s.execute("INSERT INTO kept VALUES ('still here')");
    }
    long before = pg.pid();
    pg.stop();
    assertThat(pg.isRunning()).isFalse();
    assertThat(ProcessHandle.of(before).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    PgSettings again = pg.start();
    assertThat(again.port()).isEqualTo(settings.port());
    assertThat(again.password()).isEqualTo(settings.password());
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT v FROM kept")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("still here");
    }
  }

  @Test
  @Order(4)
  @DisplayName("A wrong password is refused: the server is not open to any local user")
  void passwordRequired() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> DriverManager.getConnection(settings.jdbcUrl(), settings.user(), "wrong").close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("password");
  }

  @Test
  @Order(5)
  @DisplayName("URIs parse into settings and back, and logs never show the password")
  void uris() {
    PgSettings s = PgSettings.fromUri("postgresql://u%40x:p%3Aw@db.example:6543/app");
    assertThat(s.user()).isEqualTo("u@x");
    assertThat(s.password()).isEqualTo("p:w");
    assertThat(s.port()).isEqualTo(6543);
    assertThat(s.database()).isEqualTo("app");
    assertThat(PgSettings.fromUri(s.uri())).isEqualTo(s);
    assertThat(s.toString()).doesNotContain("p:w").doesNotContain("p%3Aw");
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/app");
  }
}
