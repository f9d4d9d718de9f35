package io.porthole.sandbox;

import io.vertx.core.json.JsonObject;

/**
 * A session's dev container as the supervisor reports it.
 *
 * @param ip the container's address on its session network (from docker inspect); empty when it has
 *     none (not running)
 * @param status Docker's state: created, running, restarting, paused, exited, dead
 */
public record SessionContainer(
    String sessionId, String containerId, String ip, String status, boolean running) {

  /** {session_id, container_id, ip, status, running}. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("session_id", sessionId)
        .put("container_id", containerId)
        .put("ip", ip)
        .put("status", status)
        .put("running", running);
  }
}
