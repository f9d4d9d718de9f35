package io.porthole.registry;

import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.OffsetDateTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Share links of an exposure: a random 160-bit token (shown once, stored as its SHA-256 hash) that
 * lets its holder through a private exposure, until it expires or is revoked.
 */
public final class Shares {

  private static final Logger log = LoggerFactory.getLogger(Shares.class);

  /** Active share links one exposure may have. */
  static final int MAX_ACTIVE = 100;

  private static final String COLUMNS =
      "id, session_id, port, created_by, created_at, expires_at, revoked_at";

  private final Pool pool;
  private final Clock clock;

  public Shares(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  /** {owner, key_id, session_id, port, expires_in_s?} → the link, with its token this once. */
  public Future<JsonObject> create(JsonObject req) {
    String owner = Req.str(req, "owner");
    String keyId = Req.str(req, "key_id");
    String id = Req.str(req, "session_id");
    int port = Req.port(req, "port");
    Long ttl = req.getLong("expires_in_s");
    OffsetDateTime now = OffsetDateTime.now(clock);
    OffsetDateTime expires = ttl == null ? null : now.plusSeconds(ttl);
    String token = Ids.shareToken();
    String shareId = Ids.shareId(clock);
    return pool.withTransaction(
            conn ->
                Exposures.lockSession(conn, owner, id)
                    .compose(
                        s ->
                            conn.preparedQuery(
                                    "SELECT (SELECT count(*) FROM share_links l"
                                        + " WHERE l.session_id = e.session_id AND l.port = e.port"
                                        + " AND l.revoked_at IS NULL AND (l.expires_at IS NULL"
                                        + " OR l.expires_at > $3)) AS n FROM exposures e"
                                        + " WHERE e.session_id = $1 AND e.port = $2")
                                .execute(Tuple.of(id, port, now)))
                    .compose(
                        rows -> {
                          if (rows.size() == 0) {
                            return Failures.fail(
                                ErrorCode.NOT_FOUND,
                                "port " + port + " of session " + id + " is not exposed");
                          }
                          if (rows.iterator().next().getLong("n") >= MAX_ACTIVE) {
                            return Failures.fail(
                                ErrorCode.QUOTA_EXCEEDED,
                                "port " + port + " already has " + MAX_ACTIVE + " share links");
                          }
                          return conn.preparedQuery(
                                  "INSERT INTO share_links (id, token_hash, session_id, port,"
                                      + " created_by, created_at, expires_at)"
                                      + " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING "
                                      + COLUMNS)
                              .execute(
                                  Tuple.of(
                                      shareId, ApiKeys.hash(token), id, port, keyId, now, expires));
                        }))
        .map(rows -> json(rows.iterator().next(), now).put("token", token))
        .onSuccess(s -> log.info("share link {} for session {} port {}", shareId, id, port));
  }

  /** {owner, session_id, port} → {shares}: without tokens, which are not kept. */
  public Future<JsonObject> list(JsonObject req) {
    String owner = Req.str(req, "owner");
    String id = Req.str(req, "session_id");
    int port = Req.port(req, "port");
    OffsetDateTime now = OffsetDateTime.now(clock);
    return pool.preparedQuery(
            "SELECT e.port AS exposed, l.id, l.session_id, l.port, l.created_by, l.created_at,"
                + " l.expires_at, l.revoked_at FROM sessions s"
                + " LEFT JOIN exposures e ON e.session_id = s.id AND e.port = $3"
                + " LEFT JOIN share_links l ON l.session_id = e.session_id AND l.port = e.port"
                + " WHERE s.id = $1 AND s.owner = $2 ORDER BY l.created_at, l.id")
        .execute(Tuple.of(id, owner, port))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Failures.fail(ErrorCode.NOT_FOUND, "no session " + id);
              }
              if (rows.iterator().next().getInteger("exposed") == null) {
                return Failures.fail(
                    ErrorCode.NOT_FOUND, "port " + port + " of session " + id + " is not exposed");
              }
              JsonArray out = new JsonArray();
              rows.forEach(
                  r -> {
                    if (r.getString("id") != null) {
                      out.add(json(r, now));
                    }
                  });
              return Future.succeededFuture(
                  new JsonObject().put("session_id", id).put("port", port).put("shares", out));
            });
  }

  /** {owner, session_id, port, share_id?} → {revoked: n}: one link, or all of the exposure's. */
  public Future<JsonObject> revoke(JsonObject req) {
    String owner = Req.str(req, "owner");
    String id = Req.str(req, "session_id");
    int port = Req.port(req, "port");
    String shareId = Req.optStr(req, "share_id");
    OffsetDateTime now = OffsetDateTime.now(clock);
    return pool.withTransaction(
        conn ->
            Exposures.lockSession(conn, owner, id)
                .compose(
                    s ->
                        conn.preparedQuery(
                                "SELECT 1 FROM exposures WHERE session_id = $1 AND port = $2")
                            .execute(Tuple.of(id, port)))
                .compose(
                    rows ->
                        rows.size() == 0
                            ? Failures.fail(
                                ErrorCode.NOT_FOUND,
                                "port " + port + " of session " + id + " is not exposed")
                            : conn.preparedQuery(
                                    "UPDATE share_links SET revoked_at = COALESCE(revoked_at, $4)"
                                        + " WHERE session_id = $1 AND port = $2"
                                        + " AND ($3::text IS NULL OR id = $3::text) RETURNING id")
                                .execute(Tuple.of(id, port, shareId, now)))
                .compose(
                    rows -> {
                      if (shareId != null && rows.size() == 0) {
                        return Failures.fail(ErrorCode.NOT_FOUND, "no share link " + shareId);
                      }
                      return Future.succeededFuture(new JsonObject().put("revoked", rows.size()));
                    }));
  }

  private static JsonObject json(Row r, OffsetDateTime now) {
    OffsetDateTime expires = r.getOffsetDateTime("expires_at");
    OffsetDateTime revoked = r.getOffsetDateTime("revoked_at");
    return new JsonObject()
        .put("id", r.getString("id"))
        .put("session_id", r.getString("session_id"))
        .put("port", r.getInteger("port"))
        .put("created_by", r.getString("created_by"))
        .put("created_at", Rows.time(r.getOffsetDateTime("created_at")))
        .put("expires_at", Rows.time(expires))
        .put("revoked_at", Rows.time(revoked))
        .put("active", revoked == null && (expires == null || expires.isAfter(now)));
  }
}
