package io.porthole.node;

import io.porthole.postgres.EmbeddedPostgres;
import io.porthole.postgres.PgSettings;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code porthole pg}: the embedded PostgreSQL on its own, in the foreground until SIGTERM, for
 * several nodes to share (scripts/cluster-up): a node's own embedded server would die with it. It
 * prints the URL the nodes take as {@code pg.url} on stdout once it accepts connections; main()
 * then waits until SIGTERM has stopped the server.
 */
@Command(
    name = "pg",
    description =
        "Run the embedded PostgreSQL alone (for several nodes to share) until SIGTERM; prints its"
            + " URL.")
final class PgCommand implements Callable<Integer> {

  @Option(names = "--data-dir", required = true, description = "Holds the postgres/ data dir.")
  Path dataDir;

  @Option(names = "--port", defaultValue = "54329", description = "Loopback port (default 54329).")
  int port;

  @Option(
      names = "--user",
      defaultValue = "porthole-pg",
      description = "Unprivileged system user the server runs as (created if missing).")
  String user;

  @Override
  public Integer call() {
    EmbeddedPostgres pg = EmbeddedPostgres.create(dataDir.resolve("postgres"), user, port);
    PgSettings settings = pg.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  pg.close();
                  stopped.countDown();
                },
                "porthole-pg-stop"));
    System.out.println(settings.uri());
    System.out.flush();
    // main() waits for the shutdown hook (no thread of ours blocks here)
    Main.holdUntil(stopped);
    return 0;
  }
}
