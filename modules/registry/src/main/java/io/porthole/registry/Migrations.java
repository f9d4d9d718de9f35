package io.porthole.registry;

import io.porthole.postgres.PgSettings;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the versioned schema in {@code db/migration} with Flyway. Blocking: run on a worker. */
public final class Migrations {

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {}

  /**
   * Brings the schema up to date; returns the version it is at. Safe from several nodes at once.
   */
  public static String migrate(PgSettings pg) {
    Flyway flyway =
        Flyway.configure(Migrations.class.getClassLoader())
            .dataSource(pg.jdbcUrl(), pg.user(), pg.password())
            .locations("classpath:db/migration")
            .connectRetries(3)
            .load();
    MigrateResult result = flyway.migrate();
    String version =
        flyway.info().current() == null ? "none" : flyway.info().current().getVersion().toString();
    log.info(
        "schema at version {} ({} migration(s) applied) on {}",
        version,
        result.migrationsExecuted,
        pg.display());
    return version;
  }
}
