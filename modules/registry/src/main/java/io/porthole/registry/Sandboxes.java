package io.porthole.registry;

import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandboxes: tunnel tokens (stored as SHA-256 hashes), which nodes hold their tunnels, and
 * placement of new sessions on the least loaded connected sandbox with free capacity.
 */
public final class Sandboxes {

  private static final Logger log = LoggerFactory.getLogger(Sandboxes.class);
  private static final String ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$";
  // serialises placement cluster-wide, so two sessions never overfill a sandbox together
  private static final long PLACEMENT_LOCK = 0x706c6163656d656eL;
  static final String LIVE_STATUSES = "('pending', 'starting', 'running', 'sandbox_lost')";

  private final Pool pool;
  private final Clock clock;
  private final int defaultCapacity;

  public Sandboxes(Pool pool, Clock clock, int defaultCapacity) {
    this.pool = pool;
    this.clock = clock;
    this.defaultCapacity = defaultCapacity;
  }

  private static String sandboxId(JsonObject req) {
    String id = Req.str(req, "sandbox_id");
    if (!id.matches(ID_PATTERN)) {
      throw Failures.error(ErrorCode.INVALID, "'sandbox_id' must match " + ID_PATTERN);
    }
    return id;
  }

  /** {sandbox_id, token, instance_id} → {sandbox_id}; the token is never in a reply or log. */
  public Future<JsonObject> authenticate(JsonObject req) {
    String id = Req.str(req, "sandbox_id");
    String token = req.getString("token", "");
    return pool.preparedQuery(
            "SELECT token_hash FROM sandboxes WHERE id = $1 AND revoked_at IS NULL")
        .execute(Tuple.of(id))
        .compose(
            rows -> {
              String stored = rows.size() == 0 ? null : rows.iterator().next().getString(0);
              boolean ok =
                  stored != null
                      && !token.isEmpty()
                      && MessageDigest.isEqual(
                          stored.getBytes(StandardCharsets.US_ASCII),
                          ApiKeys.hash(token).getBytes(StandardCharsets.US_ASCII));
              if (!ok) {
                return Failures.fail(
                    ErrorCode.UNAUTHORIZED,
                    "sandbox " + id + ": unknown sandbox, revoked or wrong token");
              }
              return Future.succeededFuture(new JsonObject().put("sandbox_id", id));
            });
  }

  /** {sandbox_id, actor?} → {sandbox_id, token}: a new token (shown once), the old one void. */
  public Future<JsonObject> issueToken(JsonObject req) {
    String id = sandboxId(req);
    String actor = req.getString("actor", "system");
    String token = Ids.sandboxToken();
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(
                        "INSERT INTO sandboxes (id, token_hash, capacity) VALUES ($1, $2, $3)"
                            + " ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash,"
                            + " revoked_at = NULL")
                    .execute(Tuple.of(id, ApiKeys.hash(token), defaultCapacity))
                    .compose(r -> Audit.record(conn, actor, "sandbox.issue_token", id, null)))
        .map(v -> new JsonObject().put("sandbox_id", id).put("token", token))
        .onSuccess(v -> log.info("tunnel token issued for sandbox {} by {}", id, actor));
  }

  /**
   * {sandbox_id, instance_id, node_id, capacity?, labels?}: records the tunnel; sessions lost with
   * an earlier tunnel run again.
   */
  public Future<JsonObject> connected(JsonObject req) {
    String id = sandboxId(req);
    String instance = req.getString("instance_id", "");
    String node = Req.str(req, "node_id");
    Integer capacity = req.getInteger("capacity");
    JsonObject labels = req.getJsonObject("labels");
    OffsetDateTime now = OffsetDateTime.now(clock);
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(
                        "INSERT INTO sandboxes (id, capacity, labels, instance_id,"
                            + " last_connected_at, last_seen_at, last_node_id)"
                            + " VALUES ($1, COALESCE($2::int, $3::int), COALESCE($4::jsonb, '{}'::jsonb),"
                            + " $5, $6::timestamptz,"
                            + " $6, $7) ON CONFLICT (id) DO UPDATE SET"
                            + " capacity = COALESCE($2::int, sandboxes.capacity),"
                            + " labels = COALESCE($4::jsonb, sandboxes.labels), instance_id = $5,"
                            + " last_connected_at = $6, last_seen_at = $6, last_node_id = $7")
                    .execute(Tuple.of(id, capacity, defaultCapacity, labels, instance, now, node))
                    .compose(
                        r ->
                            conn.preparedQuery(
                                    "INSERT INTO sandbox_connections (sandbox_id, node_id,"
                                        + " instance_id, connected_at) VALUES ($1, $2, $3, $4)"
                                        + " ON CONFLICT (sandbox_id, node_id, instance_id)"
                                        + " DO UPDATE SET connected_at = $4")
                                .execute(Tuple.of(id, node, instance, now)))
                    .compose(
                        r ->
                            conn.preparedQuery(
                                    "UPDATE sessions SET status = 'running', status_detail = NULL,"
                                        + " updated_at = $2 WHERE sandbox_id = $1"
                                        + " AND status = 'sandbox_lost' RETURNING id")
                                .execute(Tuple.of(id, now))))
        .map(
            rows -> {
              rows.forEach(r -> log.info("session {} back on sandbox {}", r.getString(0), id));
              log.info("sandbox {} instance {} connected on node {}", id, instance, node);
              return new JsonObject();
            });
  }

  /**
   * {sandbox_id, instance_id, node_id}: drops that tunnel (every tunnel of the sandbox on the node
   * when instance_id is empty); with none left, its live sessions become {@code sandbox_lost}.
   */
  public Future<JsonObject> disconnected(JsonObject req) {
    String id = Req.str(req, "sandbox_id");
    String instance = req.getString("instance_id", "");
    String node = Req.str(req, "node_id");
    return pool.withTransaction(
            conn ->
                conn.preparedQuery("SELECT id FROM sandboxes WHERE id = $1 FOR UPDATE")
                    .execute(Tuple.of(id))
                    .compose(
                        r ->
                            conn.preparedQuery(
                                    "DELETE FROM sandbox_connections WHERE sandbox_id = $1"
                                        + " AND node_id = $2 AND ($3::text = '' OR instance_id = $3::text)")
                                .execute(Tuple.of(id, node, instance)))
                    .compose(r -> loseIfUnreachable(conn, id, "its tunnel closed")))
        .map(lost -> new JsonObject().put("lost_sessions", new JsonArray(lost)));
  }

  /**
   * The cluster has no handler for the sandbox (a node died without saying so): forget its tunnels,
   * and its live sessions become {@code sandbox_lost}.
   */
  public Future<List<String>> forget(String id) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery("DELETE FROM sandbox_connections WHERE sandbox_id = $1")
                .execute(Tuple.of(id))
                .compose(r -> loseIfUnreachable(conn, id, "no node holds its tunnel")));
  }

  private Future<List<String>> loseIfUnreachable(SqlConnection conn, String id, String why) {
    OffsetDateTime now = OffsetDateTime.now(clock);
    return conn.preparedQuery(
            "WITH gone AS (UPDATE sandboxes SET last_disconnected_at = $2 WHERE id = $1"
                + " AND NOT EXISTS (SELECT 1 FROM sandbox_connections WHERE sandbox_id = $1)"
                + " RETURNING id)"
                + " UPDATE sessions SET status = 'sandbox_lost', status_detail = $3,"
                + " updated_at = $2 WHERE sandbox_id IN (SELECT id FROM gone)"
                + " AND status IN ('starting', 'running') RETURNING id")
        .execute(Tuple.of(id, now, "sandbox " + id + " is gone: " + why))
        .map(
            rows -> {
              List<String> lost = new java.util.ArrayList<>();
              rows.forEach(r -> lost.add(r.getString(0)));
              if (!lost.isEmpty()) {
                log.warn("sandbox {} is gone ({}): sessions {} are sandbox_lost", id, why, lost);
              }
              return lost;
            });
  }

  /**
   * Within a transaction: the least loaded connected sandbox with free capacity, not among {@code
   * excluded}; fails UNAVAILABLE naming why there is none.
   */
  Future<String> place(SqlConnection conn, List<String> excluded) {
    return conn.preparedQuery("SELECT pg_advisory_xact_lock($1)")
        .execute(Tuple.of(PLACEMENT_LOCK))
        .compose(
            v ->
                conn.preparedQuery(
                        "WITH c AS (SELECT s.id, s.capacity, (SELECT count(*) FROM sessions x"
                            + " WHERE x.sandbox_id = s.id AND x.status IN "
                            + LIVE_STATUSES
                            + ") AS load FROM sandboxes s WHERE s.revoked_at IS NULL"
                            + " AND EXISTS (SELECT 1 FROM sandbox_connections k"
                            + " WHERE k.sandbox_id = s.id) AND NOT (s.id = ANY($1)))"
                            + " SELECT id, capacity, load FROM c"
                            + " ORDER BY (load < capacity) DESC,"
                            + " load::float8 / GREATEST(capacity, 1), load, id")
                    .execute(Tuple.of(excluded.toArray(new String[0]))))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Failures.fail(
                    ErrorCode.UNAVAILABLE,
                    "no sandbox is connected: a session needs a connected sandbox; start one"
                        + " (role sandbox or all) and retry");
              }
              Row best = rows.iterator().next();
              if (best.getLong("load") >= best.getInteger("capacity")) {
                return Failures.fail(
                    ErrorCode.UNAVAILABLE,
                    "every connected sandbox is at capacity ("
                        + rows.size()
                        + " connected); end a session or add a sandbox and retry");
              }
              return Future.succeededFuture(best.getString("id"));
            });
  }
}
