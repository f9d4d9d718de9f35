package io.porthole.registry;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exposures of a session's ports. Every change to one session's exposures holds that session's row
 * lock, so concurrent requests for the same port serialise: one creates, the others see it. In port
 * mode an exposure is {@code pending} until the allocator has given it a host port.
 */
public final class Exposures {

  private static final Logger log = LoggerFactory.getLogger(Exposures.class);
  private static final long ALLOCATE_TIMEOUT_MS = 15_000;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final RegistryConfig cfg;

  public Exposures(Vertx vertx, Pool pool, Clock clock, RegistryConfig cfg) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.cfg = cfg;
  }

  /**
   * Locks an owner's session for a change to its exposures: not found for another owner's, a
   * conflict once it is ending or over.
   */
  static Future<Row> lockSession(SqlConnection conn, String owner, String id) {
    return conn.preparedQuery(
            "SELECT id, status FROM sessions WHERE id = $1 AND owner = $2 FOR UPDATE")
        .execute(Tuple.of(id, owner))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Failures.fail(ErrorCode.NOT_FOUND, "no session " + id);
              }
              Row r = rows.iterator().next();
              String status = r.getString("status");
              if (status.equals("ended") || status.equals("ending") || status.equals("failed")) {
                return Failures.fail(
                    ErrorCode.CONFLICT, "session " + id + " is " + status + ": nothing can change");
              }
              return Future.succeededFuture(r);
            });
  }

  /**
   * {owner, session_id, port, protocol, name?, visibility, policy} → {exposure, created}. The same
   * options again return the existing exposure (created false); other options conflict.
   */
  public Future<JsonObject> create(JsonObject req) {
    String owner = Req.str(req, "owner");
    String id = Req.str(req, "session_id");
    int port = Req.port(req, "port");
    JsonObject wanted =
        new JsonObject()
            .put("protocol", Req.str(req, "protocol"))
            .put("name", Req.optStr(req, "name"))
            .put("visibility", Req.str(req, "visibility"))
            .put("policy", Req.obj(req, "policy"));
    boolean[] created = {false};
    return pool.withTransaction(
            conn ->
                lockSession(conn, owner, id)
                    .compose(s -> find(conn, id, port))
                    .compose(
                        existing -> {
                          if (existing != null) {
                            return same(existing, wanted, port);
                          }
                          created[0] = true;
                          return insert(conn, id, port, wanted);
                        }))
        .compose(
            e ->
                "pending".equals(e.getString("status"))
                    ? allocate(owner, e)
                    : Future.succeededFuture(e))
        .map(e -> new JsonObject().put("exposure", e).put("created", created[0]))
        .onSuccess(
            r -> {
              if (created[0]) {
                log.info(
                    "session {} port {} exposed{}",
                    id,
                    port,
                    r.getJsonObject("exposure").containsKey("allocated_port")
                        ? " on host port "
                            + r.getJsonObject("exposure").getInteger("allocated_port")
                        : "");
              }
            });
  }

  private static Future<JsonObject> find(SqlConnection conn, String id, int port) {
    return conn.preparedQuery(
            "SELECT "
                + Rows.EXPOSURE_COLUMNS
                + Rows.EXPOSURE_FROM
                + " WHERE e.session_id = $1 AND e.port = $2")
        .execute(Tuple.of(id, port))
        .map(rows -> rows.size() == 0 ? null : Rows.exposure(rows.iterator().next()));
  }

  private static Future<JsonObject> same(JsonObject existing, JsonObject wanted, int port) {
    for (String field : List.of("protocol", "name", "visibility", "policy")) {
      if (!Objects.equals(existing.getValue(field), wanted.getValue(field))) {
        return Failures.fail(
            ErrorCode.CONFLICT,
            "port "
                + port
                + " is already exposed with other options ("
                + field
                + " is "
                + existing.getValue(field)
                + "); unexpose it first");
      }
    }
    return Future.succeededFuture(existing);
  }

  private Future<JsonObject> insert(SqlConnection conn, String id, int port, JsonObject wanted) {
    String name = wanted.getString("name");
    return conn.preparedQuery(
            "SELECT count(*) AS n, max(CASE WHEN name = $2 THEN port END) AS named"
                + " FROM exposures WHERE session_id = $1")
        .execute(Tuple.of(id, name))
        .compose(
            rows -> {
              Row r = rows.iterator().next();
              if (r.getInteger("named") != null) {
                return Failures.fail(
                    ErrorCode.CONFLICT,
                    "name '" + name + "' is already used by port " + r.getInteger("named"));
              }
              if (r.getLong("n") >= cfg.exposuresPerSession()) {
                return Failures.fail(
                    ErrorCode.QUOTA_EXCEEDED,
                    "session "
                        + id
                        + " already has "
                        + r.getLong("n")
                        + " exposures (quota.exposures_per_session is "
                        + cfg.exposuresPerSession()
                        + ")");
              }
              return conn.preparedQuery(
                      "INSERT INTO exposures (session_id, port, protocol, name, visibility,"
                          + " policy, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                  .execute(
                      Tuple.of(
                          id,
                          port,
                          wanted.getString("protocol"),
                          name,
                          wanted.getString("visibility"),
                          wanted.getJsonObject("policy"),
                          cfg.portsEnabled() ? "pending" : "active",
                          OffsetDateTime.now(clock)));
            })
        .compose(v -> find(conn, id, port));
  }

  /**
   * Gives a pending exposure its host port. One that gets none is removed again, unless another
   * request has given it one meanwhile.
   */
  private Future<JsonObject> allocate(String owner, JsonObject e) {
    String id = e.getString("session_id");
    int port = e.getInteger("port");
    JsonObject req =
        new JsonObject()
            .put("session_id", id)
            .put("target_port", port)
            .put("owner", owner)
            .put("protocol", e.getString("protocol"));
    String gone = "port " + port + " was unexposed while it was being exposed";
    return vertx
        .eventBus()
        .<JsonObject>request(
            Addresses.PORTS_ALLOCATE,
            req,
            new DeliveryOptions().setSendTimeout(ALLOCATE_TIMEOUT_MS))
        .compose(
            m ->
                // active only with its port: the exposure may have been removed and made anew
                pool.preparedQuery(
                        "UPDATE exposures e SET status = 'active' WHERE session_id = $1"
                            + " AND port = $2 AND EXISTS (SELECT 1 FROM port_allocations a"
                            + " WHERE a.session_id = e.session_id AND a.target_port = e.port)"
                            + " RETURNING session_id")
                    .execute(Tuple.of(id, port)))
        .compose(
            rows ->
                rows.size() == 0
                    ? Failures.<JsonObject>fail(ErrorCode.CONFLICT, gone)
                    : pool.withConnection(c -> find(c, id, port))
                        // an unexpose may also come between the update and this read
                        .compose(
                            found ->
                                found == null
                                    ? Failures.<JsonObject>fail(ErrorCode.CONFLICT, gone)
                                    : Future.succeededFuture(found)),
            err -> {
              ErrorCode code = Failures.codeOf(err);
              ErrorCode reported = code == ErrorCode.NOT_FOUND ? ErrorCode.CONFLICT : code;
              String text =
                  code == ErrorCode.NOT_FOUND
                      ? gone
                      : "no host port for session "
                          + id
                          + " port "
                          + port
                          + ": "
                          + err.getMessage();
              return undo(id, port).transform(ar -> Failures.fail(reported, text));
            });
  }

  /**
   * Removes a pending exposure that has no host port, under its row lock (which the allocator takes
   * too): never an exposure that another request has meanwhile given a port, so no port is ever
   * dropped unannounced.
   */
  private Future<Void> undo(String id, int port) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(
                    "SELECT status FROM exposures WHERE session_id = $1 AND port = $2 FOR UPDATE")
                .execute(Tuple.of(id, port))
                .compose(
                    rows ->
                        rows.size() == 0
                                || !"pending".equals(rows.iterator().next().getString("status"))
                            ? Future.succeededFuture()
                            : conn.preparedQuery(
                                    "DELETE FROM exposures e WHERE session_id = $1 AND port = $2"
                                        + " AND NOT EXISTS (SELECT 1 FROM port_allocations a"
                                        + " WHERE a.session_id = e.session_id"
                                        + " AND a.target_port = e.port)")
                                .execute(Tuple.of(id, port))
                                .mapEmpty()));
  }

  /** {owner, session_id} → {session_id, exposures}. */
  public Future<JsonObject> list(JsonObject req) {
    String owner = Req.str(req, "owner");
    String id = Req.str(req, "session_id");
    return pool.preparedQuery(
            "SELECT s.id AS sid, "
                + Rows.EXPOSURE_COLUMNS
                + " FROM sessions s LEFT JOIN exposures e ON e.session_id = s.id"
                + " LEFT JOIN port_allocations a"
                + " ON a.session_id = e.session_id AND a.target_port = e.port"
                + " WHERE s.id = $1 AND s.owner = $2 ORDER BY e.port")
        .execute(Tuple.of(id, owner))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Failures.fail(ErrorCode.NOT_FOUND, "no session " + id);
              }
              JsonArray out = new JsonArray();
              rows.forEach(
                  r -> {
                    if (r.getInteger("port") != null) {
                      out.add(Rows.exposure(r));
                    }
                  });
              return Future.succeededFuture(
                  new JsonObject().put("session_id", id).put("exposures", out));
            });
  }

  /** {owner, session_id, port} → {session_id, port, freed_port?}; its host port is freed. */
  public Future<JsonObject> delete(JsonObject req) {
    String owner = Req.str(req, "owner");
    String id = Req.str(req, "session_id");
    int port = Req.port(req, "port");
    List<JsonObject> freed = new ArrayList<>();
    return pool.withTransaction(
            conn ->
                lockSession(conn, owner, id)
                    .compose(
                        s ->
                            conn.preparedQuery(
                                    "SELECT port FROM exposures WHERE session_id = $1"
                                        + " AND port = $2 FOR UPDATE")
                                .execute(Tuple.of(id, port)))
                    .compose(
                        rows ->
                            rows.size() == 0
                                ? Failures.<List<JsonObject>>fail(
                                    ErrorCode.NOT_FOUND,
                                    "port " + port + " of session " + id + " is not exposed")
                                : freeAll(conn, id, port))
                    .compose(
                        allocations -> {
                          freed.addAll(allocations);
                          return conn.preparedQuery(
                                  "DELETE FROM exposures WHERE session_id = $1 AND port = $2")
                              .execute(Tuple.of(id, port));
                        }))
        .map(
            r -> {
              publishFreed(vertx, freed);
              log.info("session {} port {} unexposed", id, port);
              JsonObject out = new JsonObject().put("session_id", id).put("port", port);
              freed.forEach(a -> out.put("freed_port", a.getInteger("port")));
              return out;
            });
  }

  /**
   * Within a transaction holding the session's lock: deletes the session's exposures of {@code
   * port} (all when null) together with their allocations, returning the freed allocations.
   */
  static Future<List<JsonObject>> freeAll(SqlConnection conn, String id, Integer port) {
    // the exposures' row locks first: an allocation in flight for one of them commits before
    // the delete below reads, or finds its exposure gone; no port is freed unannounced
    return conn.preparedQuery(
            "SELECT port FROM exposures WHERE session_id = $1"
                + " AND ($2::int IS NULL OR port = $2::int) ORDER BY port FOR UPDATE")
        .execute(Tuple.of(id, port))
        .compose(
            locked ->
                conn.preparedQuery(
                        "DELETE FROM port_allocations WHERE session_id = $1"
                            + " AND ($2::int IS NULL OR target_port = $2::int)"
                            + " RETURNING port, session_id, target_port, protocol, allocation_id")
                    .execute(Tuple.of(id, port)))
        .compose(
            rows -> {
              List<JsonObject> out = new ArrayList<>();
              rows.forEach(r -> out.add(Rows.allocation(r)));
              Future<?> exposures =
                  port == null
                      ? conn.preparedQuery("DELETE FROM exposures WHERE session_id = $1")
                          .execute(Tuple.of(id))
                      : Future.succeededFuture();
              return exposures.map(v -> out);
            });
  }

  /** Tells every node (after commit) to close its listeners on these ports. */
  static void publishFreed(Vertx vertx, List<JsonObject> allocations) {
    for (JsonObject a : allocations) {
      vertx.eventBus().publish(Addresses.PORTS_FREED, a);
      log.info(
          "host port {} freed (session {} port {})",
          a.getInteger("port"),
          a.getString("session_id"),
          a.getInteger("target_port"));
    }
  }
}
