package io.porthole.registry;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns PostgreSQL: applies migrations at start-up, holds the pool, and answers the registry's
 * event-bus addresses. Contributes the {@code postgres} readiness check.
 */
public class SessionRegistryVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(SessionRegistryVerticle.class);

  private final HealthChecks health;
  private Pool pool;

  public SessionRegistryVerticle(HealthChecks health) {
    this.health = health;
  }

  @Override
  public Future<?> start() {
    RegistryConfig cfg = RegistryConfig.from(config());
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(cfg.poolSize()))
            .connectingTo(
                new PgConnectOptions()
                    .setHost(cfg.pg().host())
                    .setPort(cfg.pg().port())
                    .setDatabase(cfg.pg().database())
                    .setUser(cfg.pg().user())
                    .setPassword(cfg.pg().password())
                    .setReconnectAttempts(2)
                    .setReconnectInterval(500))
            .using(vertx)
            .build();
    MessageConsumer<JsonObject> ping =
        vertx
            .eventBus()
            .localConsumer(
                Addresses.REGISTRY_PING,
                msg ->
                    ping()
                        .onComplete(
                            ar -> {
                              if (ar.succeeded()) {
                                msg.reply(new JsonObject().put("ok", true));
                              } else {
                                msg.fail(
                                    ErrorCode.UNAVAILABLE.code(),
                                    "PostgreSQL: " + ar.cause().getMessage());
                              }
                            }));
    health.register(
        "postgres",
        3000,
        p ->
            ping()
                .onComplete(
                    ar ->
                        p.complete(
                            ar.succeeded()
                                ? Status.OK()
                                : Status.KO(
                                    new JsonObject()
                                        .put("error", String.valueOf(ar.cause().getMessage()))))));
    return vertx
        .executeBlocking(() -> Migrations.migrate(cfg.pg()))
        .compose(version -> new ApiKeys(pool).bootstrapAdmin(cfg.bootstrapAdminKey()))
        .compose(v -> ping.completion())
        .onSuccess(v -> log.info("registry ready ({})", cfg.pg().display()));
  }

  private Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  @Override
  public Future<?> stop() {
    health.unregister("postgres");
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
