package io.porthole.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Rows to the JSON shapes the registry replies with. */
final class Rows {

  /** The columns {@link #session(Row)} reads. */
  static final String SESSION_COLUMNS =
      "id, owner, sandbox_id, status, status_detail, options, privileged, container_id,"
          + " container_ip, created_at, updated_at, ended_at";

  /**
   * The columns {@link #exposure(Row)} reads, from {@code exposures e} and allocations {@code a}.
   */
  static final String EXPOSURE_COLUMNS =
      "e.session_id, e.port, e.protocol, e.name, e.visibility, e.policy, e.status, e.created_at,"
          + " a.port AS allocated_port";

  static final String EXPOSURE_FROM =
      " FROM exposures e LEFT JOIN port_allocations a"
          + " ON a.session_id = e.session_id AND a.target_port = e.port";

  private Rows() {}

  static String time(OffsetDateTime t) {
    return t == null
        ? null
        : t.withOffsetSameInstant(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
  }

  static JsonObject session(Row r) {
    JsonObject options = r.getJsonObject("options");
    if (options == null) {
      options = new JsonObject();
    }
    return new JsonObject()
        .put("id", r.getString("id"))
        .put("owner", r.getString("owner"))
        .put("status", r.getString("status"))
        .put("status_detail", r.getString("status_detail"))
        .put("sandbox_id", r.getString("sandbox_id"))
        .put("container_id", r.getString("container_id"))
        .put("ip", r.getString("container_ip"))
        .put("image", options.getString("image"))
        .put("command", options.getJsonArray("command", new JsonArray()))
        .put("env", options.getJsonObject("env", new JsonObject()))
        .put("labels", options.getJsonObject("labels", new JsonObject()))
        .put("privileged", r.getBoolean("privileged"))
        .put("created_at", time(r.getOffsetDateTime("created_at")))
        .put("updated_at", time(r.getOffsetDateTime("updated_at")))
        .put("ended_at", time(r.getOffsetDateTime("ended_at")));
  }

  static JsonObject exposure(Row r) {
    JsonObject out =
        new JsonObject()
            .put("session_id", r.getString("session_id"))
            .put("port", r.getInteger("port"))
            .put("protocol", r.getString("protocol"))
            .put("name", r.getString("name"))
            .put("visibility", r.getString("visibility"))
            .put("policy", r.getJsonObject("policy"))
            .put("status", r.getString("status"))
            .put("created_at", time(r.getOffsetDateTime("created_at")));
    Integer allocated = r.getInteger("allocated_port");
    if (allocated != null) {
      out.put("allocated_port", allocated);
    }
    return out;
  }

  /** A port allocation as the allocated/freed events carry it. */
  static JsonObject allocation(Row r) {
    return new JsonObject()
        .put("port", r.getInteger("port"))
        .put("session_id", r.getString("session_id"))
        .put("target_port", r.getInteger("target_port"))
        .put("protocol", r.getString("protocol"))
        .put("allocation_id", r.getLong("allocation_id"));
  }
}
