package io.porthole.registry;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/** Rows of {@code audit_log}: key use, privileged sessions, admin actions. Never secrets. */
final class Audit {

  private Audit() {}

  /** {actor, action, subject?, details?} → {}: one row written for another part (the admin). */
  static Future<JsonObject> recordRequest(SqlClient client, JsonObject req) {
    return record(
            client,
            Req.str(req, "actor"),
            Req.str(req, "action"),
            Req.optStr(req, "subject"),
            Req.obj(req, "details"))
        .map(v -> new JsonObject());
  }

  static Future<Void> record(
      SqlClient client, String actor, String action, String subject, JsonObject details) {
    return client
        .preparedQuery(
            "INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4)")
        .execute(Tuple.of(actor, action, subject, details == null ? new JsonObject() : details))
        .mapEmpty();
  }
}
