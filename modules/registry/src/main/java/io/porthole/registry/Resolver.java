package io.porthole.registry;

import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.OffsetDateTime;

/**
 * For the proxy: what a front door leads to. The reply names the exposure (with its policy), the
 * session's owner and status, and the sandbox and container address to forward to.
 */
public final class Resolver {

  private static final String SELECT =
      "SELECT "
          + Rows.EXPOSURE_COLUMNS
          + ", s.owner, s.status AS session_status, s.sandbox_id, s.container_ip";
  private static final String FROM = Rows.EXPOSURE_FROM + " JOIN sessions s ON s.id = e.session_id";

  private final Pool pool;
  private final Clock clock;

  public Resolver(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  /** {session_id, port} | {session_id, name} | {allocated_port} | {share_token} → exposure. */
  public Future<JsonObject> resolve(JsonObject req) {
    Future<io.vertx.sqlclient.RowSet<Row>> rows;
    String what;
    if (req.getValue("share_token") != null) {
      String token = Req.str(req, "share_token");
      what = "share link";
      rows =
          pool.preparedQuery(
                  SELECT
                      + ", l.id AS share_id"
                      + FROM
                      + " JOIN share_links l ON l.session_id = e.session_id AND l.port = e.port"
                      + " WHERE l.token_hash = $1 AND l.revoked_at IS NULL"
                      + " AND (l.expires_at IS NULL OR l.expires_at > $2)")
              .execute(Tuple.of(ApiKeys.hash(token), OffsetDateTime.now(clock)));
    } else if (req.getValue("allocated_port") != null) {
      int port = Req.port(req, "allocated_port");
      what = "allocated port " + port;
      rows = pool.preparedQuery(SELECT + FROM + " WHERE a.port = $1").execute(Tuple.of(port));
    } else if (req.getValue("name") != null) {
      String id = Req.str(req, "session_id");
      String name = Req.str(req, "name");
      what = "exposure '" + name + "' of session " + id;
      rows =
          pool.preparedQuery(SELECT + FROM + " WHERE e.session_id = $1 AND e.name = $2")
              .execute(Tuple.of(id, name));
    } else {
      String id = Req.str(req, "session_id");
      int port = Req.port(req, "port");
      what = "port " + port + " of session " + id;
      rows =
          pool.preparedQuery(SELECT + FROM + " WHERE e.session_id = $1 AND e.port = $2")
              .execute(Tuple.of(id, port));
    }
    return rows.compose(
        rs -> {
          if (rs.size() == 0) {
            return Failures.fail(ErrorCode.NOT_FOUND, "no exposure for " + what);
          }
          Row r = rs.iterator().next();
          JsonObject out =
              Rows.exposure(r)
                  .put("owner", r.getString("owner"))
                  .put("session_status", r.getString("session_status"))
                  .put("sandbox_id", r.getString("sandbox_id"))
                  .put("container_ip", r.getString("container_ip"));
          if (req.getValue("share_token") != null) {
            out.put("share_id", r.getString("share_id"));
          }
          return Future.succeededFuture(out);
        });
  }
}
