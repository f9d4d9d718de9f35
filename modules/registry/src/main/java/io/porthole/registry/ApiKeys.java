package io.porthole.registry;

import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** API keys: random, shown once, stored only as a SHA-256 hash. */
public final class ApiKeys {

  private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  // one lock id for "bootstrap the admin key", so two nodes starting together make one key
  private static final long BOOTSTRAP_LOCK = 0x706f7274686f6c65L;

  private static final String OWNER_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$";
  private static final String KEY_COLUMNS =
      "id, owner, is_admin, label, created_at, last_used_at, revoked_at";

  private final Pool pool;
  private final Clock clock;

  public ApiKeys(Pool pool) {
    this(pool, Clock.systemUTC());
  }

  public ApiKeys(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  /** A new key: {@code phk_} and 43 characters of base64url randomness (256 bits). */
  public static String newKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return "phk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public static String hash(String key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String idOf(String hash) {
    return "key_" + hash.substring(0, 16);
  }

  /**
   * Makes sure an admin key exists: the configured one when given, else a generated one that is
   * logged exactly once (only its hash is kept). Returns the generated key, or null.
   */
  public Future<String> bootstrapAdmin(String configuredKey) {
    return pool.withTransaction(
            conn ->
                conn.preparedQuery("SELECT pg_advisory_xact_lock($1)")
                    .execute(Tuple.of(BOOTSTRAP_LOCK))
                    .compose(
                        v -> {
                          if (configuredKey != null && !configuredKey.isEmpty()) {
                            String h = hash(configuredKey);
                            return conn.preparedQuery(
                                    "INSERT INTO api_keys (id, key_hash, owner, is_admin, label)"
                                        + " VALUES ($1, $2, 'admin', TRUE, 'bootstrap')"
                                        + " ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL,"
                                        + " is_admin = TRUE RETURNING (xmax = 0) AS inserted")
                                .execute(Tuple.of(idOf(h), h))
                                .compose(
                                    rows ->
                                        rows.iterator().next().getBoolean("inserted")
                                            ? audit(conn, idOf(h), "admin_key.bootstrap")
                                            : Future.succeededFuture())
                                .map((String) null);
                          }
                          return conn.query(
                                  "SELECT count(*) AS n FROM api_keys"
                                      + " WHERE is_admin AND revoked_at IS NULL")
                              .execute()
                              .compose(
                                  rows -> {
                                    if (rows.iterator().next().getLong("n") > 0) {
                                      return Future.succeededFuture((String) null);
                                    }
                                    String key = newKey();
                                    String h = hash(key);
                                    return conn.preparedQuery(
                                            "INSERT INTO api_keys (id, key_hash, owner, is_admin, label)"
                                                + " VALUES ($1, $2, 'admin', TRUE, 'generated')")
                                        .execute(Tuple.of(idOf(h), h))
                                        .compose(r -> audit(conn, idOf(h), "admin_key.generate"))
                                        .map(key);
                                  });
                        }))
        .onSuccess(
            key -> {
              if (key != null) {
                log.info(
                    "generated the first admin API key; it is shown this once, only its hash is"
                        + " kept:\n\n    {}\n",
                    key);
              }
            });
  }

  /**
   * {key_hash} → {key_id, owner, admin}; unknown or revoked → UNAUTHORIZED. Marks the key used and
   * writes a {@code key.use} audit row at most once per key per minute.
   */
  public Future<JsonObject> authenticate(JsonObject req) {
    String h = Req.str(req, "key_hash");
    if (!h.matches("^[0-9a-f]{64}$")) {
      return Failures.fail(ErrorCode.UNAUTHORIZED, "invalid API key");
    }
    OffsetDateTime now = OffsetDateTime.now(clock);
    return pool.preparedQuery(
            "WITH u AS (UPDATE api_keys SET last_used_at = $2 WHERE key_hash = $1"
                + " AND revoked_at IS NULL"
                + " AND (last_used_at IS NULL OR last_used_at <= $2::timestamptz - interval '1 minute')"
                + " RETURNING id),"
                + " a AS (INSERT INTO audit_log (actor, action, subject, details)"
                + " SELECT id, 'key.use', id, '{}'::jsonb FROM u)"
                + " SELECT id, owner, is_admin FROM api_keys WHERE key_hash = $1"
                + " AND revoked_at IS NULL")
        .execute(Tuple.of(h, now))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Failures.fail(ErrorCode.UNAUTHORIZED, "invalid or revoked API key");
              }
              Row r = rows.iterator().next();
              return Future.succeededFuture(
                  new JsonObject()
                      .put("key_id", r.getString("id"))
                      .put("owner", r.getString("owner"))
                      .put("admin", r.getBoolean("is_admin")));
            });
  }

  /** (admin) {actor, actor_admin, owner, admin?, label?} → the new key, shown this once. */
  public Future<JsonObject> create(JsonObject req) {
    String actor = Req.str(req, "actor");
    if (!Req.bool(req, "actor_admin")) {
      return Failures.fail(ErrorCode.FORBIDDEN, "only an admin key may create keys");
    }
    String owner = Req.str(req, "owner");
    if (!owner.matches(OWNER_PATTERN)) {
      return Failures.fail(
          ErrorCode.INVALID, "'owner' must match " + OWNER_PATTERN + " (1-128 characters)");
    }
    boolean admin = Req.bool(req, "admin");
    String label = req.getString("label", "");
    String key = newKey();
    String h = hash(key);
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(
                        "INSERT INTO api_keys (id, key_hash, owner, is_admin, label)"
                            + " VALUES ($1, $2, $3, $4, $5) RETURNING "
                            + KEY_COLUMNS)
                    .execute(Tuple.of(idOf(h), h, owner, admin, label))
                    .compose(
                        rows ->
                            Audit.record(
                                    conn,
                                    actor,
                                    "key.create",
                                    idOf(h),
                                    new JsonObject().put("owner", owner).put("admin", admin))
                                .map(v -> keyJson(rows.iterator().next()).put("key", key))))
        .onSuccess(
            k -> log.info("key {} created for owner {} by {}", k.getString("id"), owner, actor));
  }

  /** {actor_owner, actor_admin} → {keys}: an admin sees every key, others their owner's. */
  public Future<JsonObject> list(JsonObject req) {
    boolean admin = Req.bool(req, "actor_admin");
    String owner = Req.str(req, "actor_owner");
    return pool.preparedQuery(
            "SELECT "
                + KEY_COLUMNS
                + " FROM api_keys WHERE ($1 OR owner = $2) ORDER BY created_at, id")
        .execute(Tuple.of(admin, owner))
        .map(
            rows -> {
              JsonArray keys = new JsonArray();
              rows.forEach(r -> keys.add(keyJson(r)));
              return new JsonObject().put("keys", keys);
            });
  }

  /** {actor, actor_owner, actor_admin, key_id} → the revoked key; others' keys are not found. */
  public Future<JsonObject> revoke(JsonObject req) {
    String actor = Req.str(req, "actor");
    boolean admin = Req.bool(req, "actor_admin");
    String owner = Req.str(req, "actor_owner");
    String id = Req.str(req, "key_id");
    OffsetDateTime now = OffsetDateTime.now(clock);
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $4)"
                        + " WHERE id = $1 AND ($2 OR owner = $3) RETURNING "
                        + KEY_COLUMNS)
                .execute(Tuple.of(id, admin, owner, now))
                .compose(
                    rows -> {
                      if (rows.size() == 0) {
                        return Failures.fail(ErrorCode.NOT_FOUND, "no key " + id);
                      }
                      JsonObject k = keyJson(rows.iterator().next());
                      return Audit.record(
                              conn,
                              actor,
                              "key.revoke",
                              id,
                              new JsonObject().put("owner", k.getString("owner")))
                          .map(k);
                    }));
  }

  private static JsonObject keyJson(Row r) {
    return new JsonObject()
        .put("id", r.getString("id"))
        .put("owner", r.getString("owner"))
        .put("admin", r.getBoolean("is_admin"))
        .put("label", r.getString("label"))
        .put("created_at", Rows.time(r.getOffsetDateTime("created_at")))
        .put("last_used_at", Rows.time(r.getOffsetDateTime("last_used_at")))
        .put("revoked_at", Rows.time(r.getOffsetDateTime("revoked_at")));
  }

  private static Future<Void> audit(
      io.vertx.sqlclient.SqlConnection conn, String subject, String action) {
    return conn.preparedQuery(
            "INSERT INTO audit_log (actor, action, subject, details) VALUES ('system', $1, $2, $3)")
        .execute(Tuple.of(action, subject, new JsonObject()))
        .mapEmpty();
  }
}
