package io.porthole.ports;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Allocates host ports for exposures, unique across the cluster. PostgreSQL's primary key on {@code
 * port_allocations.port} is the arbiter: a node proposes a random free port, tries to bind it
 * locally, and inserts it; a conflict (another node won it) or a busy port means trying another. A
 * full range is a 503, never a duplicate.
 */
public final class PortAllocator {

  private static final Logger log = LoggerFactory.getLogger(PortAllocator.class);

  /** Candidates proposed per round, and rounds before giving up on a crowded host. */
  static final int CANDIDATES = 8;

  static final int ROUNDS = 6;

  private static final String ALLOCATION_COLUMNS =
      "port, session_id, target_port, protocol, allocation_id, owner";

  private final Vertx vertx;
  private final Pool pool;
  private final PortsConfig cfg;
  private final HostPorts host;
  private final Integer[] reservedFirst;
  private final Integer[] reservedLast;

  public PortAllocator(Vertx vertx, Pool pool, PortsConfig cfg, HostPorts host) {
    this.vertx = vertx;
    this.pool = pool;
    this.cfg = cfg;
    this.host = host;
    this.reservedFirst = cfg.reserved().stream().map(PortRange::first).toArray(Integer[]::new);
    this.reservedLast = cfg.reserved().stream().map(PortRange::last).toArray(Integer[]::new);
  }

  /**
   * {session_id, target_port, owner, protocol} → the allocation. Idempotent: an exposure that has a
   * port keeps it. Publishes {@code porthole.ports.allocated} once the row is committed.
   */
  public Future<JsonObject> allocate(JsonObject req) {
    String session = req.getString("session_id");
    Integer target = req.getInteger("target_port");
    String owner = req.getString("owner");
    String protocol = req.getString("protocol", "http");
    if (session == null || target == null || owner == null) {
      return fail(ErrorCode.INVALID, "session_id, target_port and owner are required");
    }
    Claim claim = new Claim(session, target, owner, protocol);
    return pool.preparedQuery(
            "SELECT (SELECT count(*) FROM port_allocations WHERE owner = $1) AS owned,"
                + " (SELECT row_to_json(a) FROM port_allocations a WHERE session_id = $2"
                + " AND target_port = $3) AS existing")
        .execute(Tuple.of(owner, session, target))
        .compose(
            rows -> {
              Row r = rows.iterator().next();
              Object existing = r.getValue("existing");
              if (existing != null) {
                return Future.succeededFuture(event(new JsonObject(existing.toString())));
              }
              if (r.getLong("owned") >= cfg.portsPerOwner()) {
                return quotaExceeded(owner);
              }
              return round(claim, 0, 0);
            });
  }

  private record Claim(String session, int target, String owner, String protocol) {}

  private Future<JsonObject> round(Claim claim, int round, int busy) {
    PortRange range = cfg.range();
    return pool.preparedQuery(
            "SELECT p FROM generate_series($1::int, $2::int) AS p"
                + " WHERE NOT EXISTS (SELECT 1 FROM unnest($3::int[], $4::int[]) AS r(lo, hi)"
                + " WHERE p BETWEEN r.lo AND r.hi)"
                + " AND NOT EXISTS (SELECT 1 FROM port_allocations a WHERE a.port = p)"
                + " ORDER BY random() LIMIT $5")
        .execute(Tuple.of(range.first(), range.last(), reservedFirst, reservedLast, CANDIDATES))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return fail(
                    ErrorCode.UNAVAILABLE,
                    "no free host port: every port of "
                        + range.first()
                        + "-"
                        + range.last()
                        + " is allocated or reserved (ports.range_start/ports.range_end)");
              }
              List<Integer> candidates = new ArrayList<>();
              rows.forEach(r -> candidates.add(r.getInteger(0)));
              return tryEach(claim, candidates, 0, busy)
                  .compose(
                      result -> {
                        if (result.allocation() != null) {
                          return Future.succeededFuture(result.allocation());
                        }
                        if (round + 1 >= ROUNDS) {
                          return fail(
                              ErrorCode.UNAVAILABLE,
                              "no free host port after "
                                  + ROUNDS * CANDIDATES
                                  + " tries ("
                                  + result.busy()
                                  + " in use on this host, the rest taken by other nodes)");
                        }
                        return round(claim, round + 1, result.busy());
                      });
            });
  }

  private record Outcome(JsonObject allocation, int busy) {}

  private Future<Outcome> tryEach(Claim claim, List<Integer> candidates, int i, int busy) {
    if (i >= candidates.size()) {
      return Future.succeededFuture(new Outcome(null, busy));
    }
    int port = candidates.get(i);
    return host.isFree(port)
        .compose(
            free -> {
              if (!free) {
                log.debug("host port {} is in use on this host; trying another", port);
                return tryEach(claim, candidates, i + 1, busy + 1);
              }
              return insert(claim, port)
                  .compose(
                      allocation ->
                          allocation != null
                              ? Future.succeededFuture(new Outcome(allocation, busy))
                              : tryEach(claim, candidates, i + 1, busy));
            });
  }

  /**
   * One transaction: the owner's quota (under a per-owner lock), the exposure still there (under
   * its row lock, which unexposing also takes), then the insert. Null when another node won the
   * port.
   */
  private Future<JsonObject> insert(Claim c, int port) {
    return pool.withTransaction(
            conn ->
                conn.preparedQuery("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .execute(Tuple.of("porthole.ports.owner:" + c.owner()))
                    .compose(
                        v ->
                            conn.preparedQuery(
                                    "SELECT port FROM exposures WHERE session_id = $1"
                                        + " AND port = $2 FOR UPDATE")
                                .execute(Tuple.of(c.session(), c.target())))
                    .compose(
                        locked ->
                            conn.preparedQuery(
                                    "SELECT $4::int AS exposed, (SELECT count(*)"
                                        + " FROM port_allocations WHERE owner = $3) AS owned,"
                                        + " (SELECT row_to_json(a) FROM port_allocations a"
                                        + " WHERE session_id = $1 AND target_port = $2) AS existing")
                                .execute(
                                    Tuple.of(
                                        c.session(),
                                        c.target(),
                                        c.owner(),
                                        locked.size() == 0 ? null : c.target())))
                    .compose(
                        rows -> {
                          Row r = rows.iterator().next();
                          if (r.getValue("exposed") == null) {
                            return fail(
                                ErrorCode.NOT_FOUND,
                                "port "
                                    + c.target()
                                    + " of session "
                                    + c.session()
                                    + " is not exposed (any more)");
                          }
                          Object existing = r.getValue("existing");
                          if (existing != null) {
                            return Future.succeededFuture(
                                new Inserted(event(new JsonObject(existing.toString())), false));
                          }
                          if (r.getLong("owned") >= cfg.portsPerOwner()) {
                            return quotaExceeded(c.owner());
                          }
                          return conn.preparedQuery(
                                  "INSERT INTO port_allocations (port, session_id, target_port,"
                                      + " owner, protocol) VALUES ($1, $2, $3, $4, $5)"
                                      + " ON CONFLICT (port) DO NOTHING RETURNING "
                                      + ALLOCATION_COLUMNS)
                              .execute(
                                  Tuple.of(port, c.session(), c.target(), c.owner(), c.protocol()))
                              .map(
                                  ins ->
                                      ins.size() == 0
                                          ? null
                                          : new Inserted(event(ins.iterator().next()), true));
                        }))
        .map(
            inserted -> {
              if (inserted == null) {
                log.debug("host port {} was taken by another node; trying another", port);
                return null;
              }
              if (inserted.fresh()) {
                vertx.eventBus().publish(Addresses.PORTS_ALLOCATED, inserted.allocation());
                log.info(
                    "host port {} allocated to session {} port {}", port, c.session(), c.target());
              }
              return inserted.allocation();
            });
  }

  private record Inserted(JsonObject allocation, boolean fresh) {}

  /** {} → {allocations}: every current allocation, for a node (re)binding its listeners. */
  public Future<JsonObject> list(JsonObject req) {
    return pool.query("SELECT " + ALLOCATION_COLUMNS + " FROM port_allocations ORDER BY port")
        .execute()
        .map(
            rows -> {
              JsonArray out = new JsonArray();
              rows.forEach(r -> out.add(event(r)));
              return new JsonObject().put("allocations", out);
            });
  }

  private static JsonObject event(Row r) {
    return new JsonObject()
        .put("port", r.getInteger("port"))
        .put("session_id", r.getString("session_id"))
        .put("target_port", r.getInteger("target_port"))
        .put("protocol", r.getString("protocol"))
        .put("allocation_id", r.getLong("allocation_id"))
        .put("owner", r.getString("owner"));
  }

  private static JsonObject event(JsonObject rowJson) {
    return new JsonObject()
        .put("port", rowJson.getInteger("port"))
        .put("session_id", rowJson.getString("session_id"))
        .put("target_port", rowJson.getInteger("target_port"))
        .put("protocol", rowJson.getString("protocol"))
        .put("allocation_id", rowJson.getLong("allocation_id"))
        .put("owner", rowJson.getString("owner"));
  }

  private <T> Future<T> quotaExceeded(String owner) {
    return fail(
        ErrorCode.QUOTA_EXCEEDED,
        "owner "
            + owner
            + " already holds "
            + cfg.portsPerOwner()
            + " host ports (quota.ports_per_owner); unexpose one first");
  }

  private static <T> Future<T> fail(ErrorCode code, String message) {
    return Future.failedFuture(new PortholeException(code, message));
  }
}
