package io.porthole.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;

/** Requests to the registry over the event bus; failures keep their typed codes. */
final class Registry {

  static final long DEFAULT_TIMEOUT_MS = 30_000;

  private final Vertx vertx;
  private final MeterRegistry meters;

  Registry(Vertx vertx, MeterRegistry meters) {
    this.vertx = vertx;
    this.meters = meters;
  }

  Future<JsonObject> request(String address, JsonObject body) {
    return request(address, body, DEFAULT_TIMEOUT_MS);
  }

  /**
   * Sends a request; its round trip goes to {@code porthole.eventbus.roundtrip}, by target
   * (registry, ports, sandbox or admin) and outcome.
   */
  Future<JsonObject> request(String address, JsonObject body, long timeoutMs) {
    long started = System.nanoTime();
    return vertx
        .eventBus()
        .<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(m -> m.body() == null ? new JsonObject() : m.body())
        .andThen(
            ar ->
                Timer.builder("porthole.eventbus.roundtrip")
                    .description("Event-bus request/reply round trips of the API, by target")
                    .tag("target", target(address))
                    .tag("outcome", ar.succeeded() ? "ok" : "failed")
                    .publishPercentileHistogram()
                    .register(meters)
                    .record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
  }

  /** The kind of address, not the address: sandbox addresses carry ids. */
  static String target(String address) {
    String[] parts = address.split("\\.");
    return parts.length > 1 ? parts[1] : address;
  }
}
