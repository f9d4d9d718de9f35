package io.porthole.ports;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.Meters;
import io.porthole.common.PortholeException;
import io.porthole.common.config.Settings;
import io.porthole.postgres.PgSettings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.VertxException;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Port mode's allocator: answers {@code porthole.ports.allocate} and {@code porthole.ports.list}
 * and publishes {@code porthole.ports.allocated}. Freeing happens where exposures are removed (the
 * registry), which publishes {@code porthole.ports.freed}. Needs the registry's schema, so it is
 * deployed after the {@code SessionRegistryVerticle}. With {@code ports.enabled=false} it serves
 * nothing.
 */
public class PortAllocatorVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(PortAllocatorVerticle.class);

  private final HostPorts hostPorts;
  private Pool pool;
  private final AtomicLong allocated = new AtomicLong();

  public PortAllocatorVerticle() {
    this(null);
  }

  /** With a stand-in for the host's bind check (tests); null binds for real. */
  public PortAllocatorVerticle(HostPorts hostPorts) {
    this.hostPorts = hostPorts;
  }

  @Override
  public Future<?> start() {
    PortsConfig cfg = PortsConfig.from(config());
    if (!cfg.enabled()) {
      log.info("port mode is off (ports.enabled=false): no host ports are allocated");
      return Future.succeededFuture();
    }
    PgSettings pg = PgSettings.fromUri(cfg.pgUrl());
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(cfg.poolSize()).setConnectionTimeout(10))
            .connectingTo(
                new PgConnectOptions()
                    .setHost(pg.host())
                    .setPort(pg.port())
                    .setDatabase(pg.database())
                    .setUser(pg.user())
                    .setPassword(pg.password())
                    .setCachePreparedStatements(true))
            .using(vertx)
            .build();
    PortAllocator allocator =
        new PortAllocator(
            vertx,
            pool,
            cfg,
            hostPorts != null ? hostPorts : HostPorts.binding(vertx, cfg.bindHost()));
    registerGauges(cfg);
    return Future.all(
            serve(Addresses.PORTS_ALLOCATE, allocator::allocate).completion(),
            serve(Addresses.PORTS_LIST, allocator::list).completion())
        .onSuccess(
            v ->
                log.info(
                    "port allocator ready: {}-{}, {} reserved range(s), {} per owner",
                    cfg.range().first(),
                    cfg.range().last(),
                    cfg.reserved().size(),
                    cfg.portsPerOwner()));
  }

  /**
   * {@code porthole.ports.allocated} (cluster-wide, from PostgreSQL, refreshed every 10 s) and
   * {@code porthole.ports.capacity} (the range less the reserved ports).
   */
  private void registerGauges(PortsConfig cfg) {
    MeterRegistry meters = Meters.of(Settings.NODE_ID.stringIn(config()));
    Gauge.builder("porthole.ports.allocated", allocated, AtomicLong::get)
        .description("Host ports allocated across the cluster (port mode)")
        .register(meters);
    long capacity =
        cfg.range().last()
            - cfg.range().first()
            + 1
            - cfg.reserved().stream()
                .mapToLong(
                    r ->
                        Math.max(
                            0,
                            Math.min(r.last(), cfg.range().last())
                                - Math.max(r.first(), cfg.range().first())
                                + 1))
                .sum();
    Gauge.builder("porthole.ports.capacity", () -> capacity)
        .description("Host ports the allocator may hand out")
        .register(meters);
    refreshAllocated();
    vertx.setPeriodic(10_000, t -> refreshAllocated());
  }

  private void refreshAllocated() {
    pool.query("SELECT count(*) FROM port_allocations")
        .execute()
        .onSuccess(rows -> allocated.set(rows.iterator().next().getLong(0)))
        .onFailure(err -> log.debug("could not count port allocations: {}", err.getMessage()));
  }

  /** On this node only: every API node allocates, PostgreSQL arbitrates. */
  private MessageConsumer<JsonObject> serve(
      String address, Function<JsonObject, Future<JsonObject>> handler) {
    return vertx
        .eventBus()
        .localConsumer(
            address,
            msg ->
                handler
                    .apply(msg.body() == null ? new JsonObject() : msg.body())
                    .onSuccess(msg::reply)
                    .onFailure(
                        err -> {
                          ErrorCode code = codeOf(err);
                          if (code == ErrorCode.INTERNAL) {
                            log.error("{} failed", address, err);
                          }
                          msg.fail(
                              code.code(),
                              err instanceof PortholeException
                                  ? err.getMessage()
                                  : code == ErrorCode.UNAVAILABLE
                                      ? "PostgreSQL is unavailable, retry later"
                                      : "internal error");
                        }));
  }

  /** Typed failures keep their code; PostgreSQL out of reach is UNAVAILABLE. */
  static ErrorCode codeOf(Throwable err) {
    if (err instanceof PortholeException pe) {
      return pe.code();
    }
    if (err instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      if (state.equals("23503")) {
        return ErrorCode.NOT_FOUND; // the exposure went away under us
      }
      return state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")
          ? ErrorCode.UNAVAILABLE
          : ErrorCode.INTERNAL;
    }
    return err instanceof IOException
            || err instanceof TimeoutException
            || err instanceof ClosedConnectionException
            || (err instanceof VertxException && err.getCause() instanceof IOException)
        ? ErrorCode.UNAVAILABLE
        : ErrorCode.INTERNAL;
  }

  @Override
  public Future<?> stop() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
