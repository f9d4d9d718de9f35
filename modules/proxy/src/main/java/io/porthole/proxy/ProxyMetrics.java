package io.porthole.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code porthole.proxy.requests}: every proxied request by front door and status, with its latency
 * (from the request to the last byte of the response) as a histogram.
 */
final class ProxyMetrics {

  private final MeterRegistry registry;

  /** One timer per door and status, found without building a meter id per request. */
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  ProxyMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Records {@code req} once its response was written. */
  void observe(HttpServerRequest req, String door) {
    long started = System.nanoTime();
    req.response()
        .bodyEndHandler(
            v ->
                timer(door, req.response().getStatusCode())
                    .record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
  }

  private Timer timer(String door, int status) {
    return timers.computeIfAbsent(
        door + ' ' + status,
        k ->
            Timer.builder("porthole.proxy.requests")
                .description("Proxied requests by front door and status, to the last byte")
                .tag("door", door)
                .tag("status", Integer.toString(status))
                .publishPercentileHistogram()
                .register(registry));
  }
}
