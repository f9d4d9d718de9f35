package io.porthole.tunnel.mux;

import io.vertx.core.json.JsonObject;

/**
 * A control request received from the peer.
 *
 * @param command the command name
 * @param body the request body (an empty object when the requester sent none)
 */
public record ControlRequest(String command, JsonObject body) {}
