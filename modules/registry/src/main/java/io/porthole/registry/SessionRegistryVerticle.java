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
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns PostgreSQL: applies migrations at start-up, holds the pool, and answers the registry's
 * event-bus addresses (sandboxes, sessions, exposures, share links, API keys) with typed failures.
 * The logic lives in {@link Sandboxes}, {@link Sessions}, {@link Exposures}, {@link Shares}, {@link
 * Resolver} and {@link ApiKeys}. Contributes the {@code postgres} readiness check.
 */
public class SessionRegistryVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(SessionRegistryVerticle.class);

  private final HealthChecks health;
  private final Clock clock;
  private Pool pool;

  public SessionRegistryVerticle(HealthChecks health) {
    this(health, Clock.systemUTC());
  }

  public SessionRegistryVerticle(HealthChecks health, Clock clock) {
    this.health = health;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    RegistryConfig cfg = RegistryConfig.from(config());
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(cfg.poolSize()).setConnectionTimeout(10))
            .connectingTo(
                new PgConnectOptions()
                    .setHost(cfg.pg().host())
                    .setPort(cfg.pg().port())
                    .setDatabase(cfg.pg().database())
                    .setUser(cfg.pg().user())
                    .setPassword(cfg.pg().password())
                    .setCachePreparedStatements(true)
                    .setReconnectAttempts(2)
                    .setReconnectInterval(500))
            .using(vertx)
            .build();
    ApiKeys keys = new ApiKeys(pool, clock);
    Sandboxes sandboxes = new Sandboxes(pool, clock, cfg.defaultCapacity());
    Sessions sessions = new Sessions(vertx, pool, clock, sandboxes, cfg);
    Exposures exposures = new Exposures(vertx, pool, clock, cfg);
    Shares shares = new Shares(pool, clock);
    Resolver resolver = new Resolver(pool, clock);

    Map<String, Function<JsonObject, Future<JsonObject>>> routes =
        Map.ofEntries(
            Map.entry(Addresses.REGISTRY_SANDBOX_AUTHENTICATE, sandboxes::authenticate),
            Map.entry(Addresses.REGISTRY_SANDBOX_CONNECTED, sandboxes::connected),
            Map.entry(Addresses.REGISTRY_SANDBOX_DISCONNECTED, sandboxes::disconnected),
            Map.entry(Addresses.REGISTRY_SANDBOX_ISSUE_TOKEN, sandboxes::issueToken),
            Map.entry(Addresses.REGISTRY_KEY_AUTHENTICATE, keys::authenticate),
            Map.entry(Addresses.REGISTRY_KEY_CREATE, keys::create),
            Map.entry(Addresses.REGISTRY_KEY_LIST, keys::list),
            Map.entry(Addresses.REGISTRY_KEY_REVOKE, keys::revoke),
            Map.entry(Addresses.REGISTRY_SESSION_CREATE, sessions::create),
            Map.entry(Addresses.REGISTRY_SESSION_LIST, sessions::list),
            Map.entry(Addresses.REGISTRY_SESSION_GET, sessions::get),
            Map.entry(Addresses.REGISTRY_SESSION_LIST_ALL, sessions::listAll),
            Map.entry(Addresses.REGISTRY_AUDIT_RECORD, req -> Audit.recordRequest(pool, req)),
            Map.entry(Addresses.REGISTRY_SESSION_END, sessions::end),
            Map.entry(Addresses.REGISTRY_EXPOSURE_CREATE, exposures::create),
            Map.entry(Addresses.REGISTRY_EXPOSURE_LIST, exposures::list),
            Map.entry(Addresses.REGISTRY_EXPOSURE_DELETE, exposures::delete),
            Map.entry(Addresses.REGISTRY_EXPOSURE_RESOLVE, resolver::resolve),
            Map.entry(Addresses.REGISTRY_SHARE_CREATE, shares::create),
            Map.entry(Addresses.REGISTRY_SHARE_LIST, shares::list),
            Map.entry(Addresses.REGISTRY_SHARE_REVOKE, shares::revoke));

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
    // schema first: no address answers before the tables it needs exist
    return vertx
        .executeBlocking(() -> Migrations.migrate(cfg.pg()))
        .compose(version -> keys.bootstrapAdmin(cfg.bootstrapAdminKey()))
        .compose(v -> ping.completion())
        .compose(
            v -> {
              List<Future<Void>> registered = new ArrayList<>();
              routes.forEach(
                  (address, handler) ->
                      registered.add(Bus.serve(vertx, address, handler).completion()));
              return Future.all(registered);
            })
        .onSuccess(
            v -> log.info("registry ready ({}, {} addresses)", cfg.pg().display(), routes.size()));
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
