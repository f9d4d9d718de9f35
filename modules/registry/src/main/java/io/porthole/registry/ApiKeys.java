package io.porthole.registry;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
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

  private final Pool pool;

  public ApiKeys(Pool pool) {
    this.pool = pool;
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

  private static Future<Void> audit(
      io.vertx.sqlclient.SqlConnection conn, String subject, String action) {
    return conn.preparedQuery(
            "INSERT INTO audit_log (actor, action, subject, details) VALUES ('system', $1, $2, $3)")
        .execute(Tuple.of(action, subject, new JsonObject()))
        .mapEmpty();
  }
}
