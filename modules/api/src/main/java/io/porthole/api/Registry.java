package io.porthole.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/** Requests to the registry over the event bus; failures keep their typed codes. */
final class Registry {

  static final long DEFAULT_TIMEOUT_MS = 30_000;

  private final Vertx vertx;

  Registry(Vertx vertx) {
    this.vertx = vertx;
  }

  Future<JsonObject> request(String address, JsonObject body) {
    return request(address, body, DEFAULT_TIMEOUT_MS);
  }

  Future<JsonObject> request(String address, JsonObject body, long timeoutMs) {
    return vertx
        .eventBus()
        .<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(m -> m.body() == null ? new JsonObject() : m.body());
  }
}
