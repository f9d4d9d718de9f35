package io.porthole.registry;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/** Rows of {@code audit_log}: key use, privileged sessions, admin actions. Never secrets. */
final class Audit {

  private Audit() {}

  static Future<Void> record(
      SqlClient client, String actor, String action, String subject, JsonObject details) {
    return client
        .preparedQuery(
            "INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4)")
        .execute(Tuple.of(actor, action, subject, details == null ? new JsonObject() : details))
        .mapEmpty();
  }
}
