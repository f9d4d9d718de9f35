package io.porthole.registry;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions: placement on a connected sandbox, the dev container created there through the sandbox's
 * control address, and ending (container removed, exposures and ports freed).
 */
public final class Sessions {

  private static final Logger log = LoggerFactory.getLogger(Sessions.class);

  /** Sandboxes tried for one session when a chosen one turns out to have no tunnel. */
  private static final int PLACEMENT_ATTEMPTS = 5;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final Sandboxes sandboxes;
  private final RegistryConfig cfg;

  public Sessions(Vertx vertx, Pool pool, Clock clock, Sandboxes sandboxes, RegistryConfig cfg) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.sandboxes = sandboxes;
    this.cfg = cfg;
  }

  /**
   * {owner, key_id, image?, command?, env?, labels?, privileged?, api_url?} → the session, running
   * on the least loaded connected sandbox.
   */
  public Future<JsonObject> create(JsonObject req) {
    String owner = Req.str(req, "owner");
    String keyId = Req.str(req, "key_id");
    String id = Ids.sessionId(clock);
    JsonObject options = new JsonObject();
    if (Req.optStr(req, "image") != null) {
      options.put("image", req.getString("image"));
    }
    options
        .put("command", Req.arr(req, "command"))
        .put("env", Req.obj(req, "env"))
        .put("labels", Req.obj(req, "labels"));
    boolean privileged = Req.bool(req, "privileged");
    JsonObject body = options.copy().put("session_id", id).put("privileged", privileged);
    if (Req.optStr(req, "api_url") != null) {
      body.put("api_url", req.getString("api_url"));
    }
    return attempt(id, owner, keyId, options, privileged, body, new ArrayList<>());
  }

  private Future<JsonObject> attempt(
      String id,
      String owner,
      String keyId,
      JsonObject options,
      boolean privileged,
      JsonObject body,
      List<String> excluded) {
    OffsetDateTime now = OffsetDateTime.now(clock);
    Future<String> placed =
        pool.withTransaction(
            conn ->
                sandboxes
                    .place(conn, excluded)
                    .compose(
                        sandbox ->
                            conn.preparedQuery(
                                    "INSERT INTO sessions (id, owner, key_id, sandbox_id, status,"
                                        + " options, privileged, created_at, updated_at)"
                                        + " VALUES ($1, $2, $3, $4, 'starting', $5, $6, $7, $7)"
                                        + " ON CONFLICT (id) DO UPDATE SET sandbox_id = $4,"
                                        + " status = 'starting', updated_at = $7")
                                .execute(
                                    Tuple.of(id, owner, keyId, sandbox, options, privileged, now))
                                .compose(r -> auditPrivileged(conn, keyId, id, sandbox, privileged))
                                .map(sandbox)));
    return placed.compose(
        sandbox ->
            control(sandbox, "container.create", body, cfg.createTimeoutMs())
                .compose(
                    created -> running(id, created),
                    err -> {
                      if (noHandlers(err) && excluded.size() + 1 < PLACEMENT_ATTEMPTS) {
                        log.warn(
                            "sandbox {} has no tunnel; placing session {} elsewhere", sandbox, id);
                        excluded.add(sandbox);
                        return pool.preparedQuery(
                                "UPDATE sessions SET status = 'pending', sandbox_id = NULL"
                                    + " WHERE id = $1 AND status = 'starting'")
                            .execute(Tuple.of(id))
                            .compose(r -> sandboxes.forget(sandbox))
                            .compose(
                                lost ->
                                    attempt(id, owner, keyId, options, privileged, body, excluded));
                      }
                      return failed(id, sandbox, err);
                    }),
        err ->
            excluded.isEmpty()
                ? Future.failedFuture(err)
                : failed(id, excluded.get(excluded.size() - 1), err));
  }

  private static Future<Void> auditPrivileged(
      SqlConnection conn, String keyId, String id, String sandbox, boolean privileged) {
    if (!privileged) {
      return Future.succeededFuture();
    }
    return Audit.record(
        conn, keyId, "session.privileged", id, new JsonObject().put("sandbox_id", sandbox));
  }

  private Future<JsonObject> running(String id, JsonObject created) {
    return pool.preparedQuery(
            "UPDATE sessions SET status = 'running', container_id = $2, container_ip = $3,"
                + " status_detail = NULL, updated_at = $4 WHERE id = $1 AND status = 'starting'"
                + " RETURNING "
                + Rows.SESSION_COLUMNS)
        .execute(
            Tuple.of(
                id,
                created.getString("container_id"),
                created.getString("ip"),
                OffsetDateTime.now(clock)))
        .compose(
            rows -> {
              if (rows.size() == 1) {
                JsonObject s = Rows.session(rows.iterator().next());
                log.info(
                    "session {} running on sandbox {} ({})",
                    id,
                    s.getString("sandbox_id"),
                    s.getString("ip"));
                return Future.succeededFuture(s);
              }
              // ended while its container was being created: what is current is the answer
              return load(id);
            });
  }

  private Future<JsonObject> failed(String id, String sandbox, Throwable err) {
    ErrorCode code = noHandlers(err) ? ErrorCode.UNAVAILABLE : Failures.codeOf(err);
    if (code != ErrorCode.INVALID
        && code != ErrorCode.TIMEOUT
        && code != ErrorCode.UNAVAILABLE
        && code != ErrorCode.QUOTA_EXCEEDED) {
      // the sandbox's own failure (image missing, Docker error): the API answers 502
      code = ErrorCode.BAD_GATEWAY;
    }
    String detail = "container.create on sandbox " + sandbox + " failed: " + err.getMessage();
    log.warn("session {}: {}", id, detail);
    ErrorCode reported = code;
    return pool.preparedQuery(
            "UPDATE sessions SET status = 'failed', status_detail = $2, updated_at = $3"
                + " WHERE id = $1 AND status IN ('pending', 'starting')")
        .execute(Tuple.of(id, detail, OffsetDateTime.now(clock)))
        .onSuccess(
            v ->
                control(sandbox, "container.remove", new JsonObject().put("session_id", id), 30_000)
                    .onFailure(e -> log.debug("cleanup of session {}: {}", id, e.getMessage())))
        .transform(
            ar ->
                Failures.fail(
                    reported,
                    "session "
                        + id
                        + " could not be created (status failed): "
                        + err.getMessage()));
  }

  /** {owner, session_id} → the session; another owner's is not found, so ids do not leak. */
  public Future<JsonObject> get(JsonObject req) {
    String owner = Req.str(req, "owner");
    String id = Req.str(req, "session_id");
    return pool.preparedQuery(
            "SELECT " + Rows.SESSION_COLUMNS + " FROM sessions WHERE id = $1 AND owner = $2")
        .execute(Tuple.of(id, owner))
        .compose(rows -> one(rows, id));
  }

  private Future<JsonObject> load(String id) {
    return pool.preparedQuery("SELECT " + Rows.SESSION_COLUMNS + " FROM sessions WHERE id = $1")
        .execute(Tuple.of(id))
        .compose(rows -> one(rows, id));
  }

  private static Future<JsonObject> one(RowSet<Row> rows, String id) {
    if (rows.size() == 0) {
      return Failures.fail(ErrorCode.NOT_FOUND, "no session " + id);
    }
    return Future.succeededFuture(Rows.session(rows.iterator().next()));
  }

  /** {owner, include_ended?} → {sessions}: the owner's sessions, oldest first. */
  public Future<JsonObject> list(JsonObject req) {
    String owner = Req.str(req, "owner");
    boolean ended = Req.bool(req, "include_ended");
    return pool.preparedQuery(
            "SELECT "
                + Rows.SESSION_COLUMNS
                + " FROM sessions WHERE owner = $1 AND ($2 OR status <> 'ended')"
                + " ORDER BY created_at, id LIMIT 1000")
        .execute(Tuple.of(owner, ended))
        .map(
            rows -> {
              JsonArray out = new JsonArray();
              rows.forEach(r -> out.add(Rows.session(r)));
              return new JsonObject().put("sessions", out);
            });
  }

  /**
   * For admins: {include_ended?, session_id?} → {sessions: [..]} of every owner (one session when
   * {@code session_id} is given).
   */
  public Future<JsonObject> listAll(JsonObject req) {
    boolean ended = Req.bool(req, "include_ended");
    String id = Req.optStr(req, "session_id");
    return pool.preparedQuery(
            "SELECT "
                + Rows.SESSION_COLUMNS
                + " FROM sessions WHERE ($1 OR status <> 'ended') AND ($2::text IS NULL OR id = $2)"
                + " ORDER BY created_at, id LIMIT 1000")
        .execute(Tuple.of(ended || id != null, id))
        .map(
            rows -> {
              JsonArray out = new JsonArray();
              rows.forEach(r -> out.add(Rows.session(r)));
              return new JsonObject().put("sessions", out);
            });
  }

  /**
   * {owner, session_id} → the ended session: exposures removed and ports freed (published on {@code
   * porthole.ports.freed}), then the container removed, then status {@code ended}.
   */
  public Future<JsonObject> end(JsonObject req) {
    String owner = Req.str(req, "owner");
    String id = Req.str(req, "session_id");
    OffsetDateTime now = OffsetDateTime.now(clock);
    List<JsonObject> freed = new ArrayList<>();
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(
                        "SELECT sandbox_id, status FROM sessions WHERE id = $1 AND owner = $2"
                            + " FOR UPDATE")
                    .execute(Tuple.of(id, owner))
                    .compose(
                        rows -> {
                          if (rows.size() == 0) {
                            return Failures.fail(ErrorCode.NOT_FOUND, "no session " + id);
                          }
                          Row s = rows.iterator().next();
                          if ("ended".equals(s.getString("status"))) {
                            return Failures.fail(
                                ErrorCode.CONFLICT, "session " + id + " has already ended");
                          }
                          return Exposures.freeAll(conn, id, null)
                              .compose(
                                  allocations -> {
                                    freed.addAll(allocations);
                                    return conn.preparedQuery(
                                            "UPDATE sessions SET status = 'ending',"
                                                + " updated_at = $2 WHERE id = $1")
                                        .execute(Tuple.of(id, now));
                                  })
                              .map(r -> s.getString("sandbox_id"));
                        }))
        .compose(
            sandbox -> {
              Exposures.publishFreed(vertx, freed);
              return removeContainer(id, sandbox);
            })
        .compose(
            detail ->
                pool.preparedQuery(
                        "UPDATE sessions SET status = 'ended', ended_at = $2, updated_at = $2,"
                            + " status_detail = $3 WHERE id = $1 RETURNING "
                            + Rows.SESSION_COLUMNS)
                    .execute(Tuple.of(id, OffsetDateTime.now(clock), detail)))
        .compose(rows -> one(rows, id))
        .onSuccess(s -> log.info("session {} ended ({} port(s) freed)", id, freed.size()));
  }

  /** The container's removal; a sandbox that cannot be reached leaves a note, not a failure. */
  private Future<String> removeContainer(String id, String sandbox) {
    if (sandbox == null) {
      return Future.succeededFuture((String) null);
    }
    return control(sandbox, "container.remove", new JsonObject().put("session_id", id), 30_000)
        .map(r -> (String) null)
        .recover(
            err -> {
              log.warn(
                  "session {}: container.remove on sandbox {} failed: {}",
                  id,
                  sandbox,
                  err.getMessage());
              return Future.succeededFuture(
                  "container not confirmed removed (sandbox "
                      + sandbox
                      + ": "
                      + err.getMessage()
                      + "); the sandbox removes it when it reconciles");
            });
  }

  private Future<JsonObject> control(
      String sandbox, String command, JsonObject body, long timeoutMs) {
    return vertx
        .eventBus()
        .<JsonObject>request(
            Addresses.sandboxControl(sandbox),
            new JsonObject().put("command", command).put("body", body),
            new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(m -> m.body() == null ? new JsonObject() : m.body());
  }

  private static boolean noHandlers(Throwable err) {
    return err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
  }
}
