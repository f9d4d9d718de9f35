package io.porthole.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the Docker engine: a probe (run periodically by the supervisor) pings it and, while it
 * answers, keeps a subscription to this sandbox's container events. Any event of a session's
 * container drops that session's remembered IP; the stream ending (the engine stopped or restarted)
 * or a failed ping drops them all. When the engine answers again, the probe subscribes anew and
 * re-reads every running container's IP: the supervisor recovers by itself.
 */
public final class EngineMonitor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EngineMonitor.class);

  private final Vertx vertx;
  private final ContainerRuntime runtime;
  private final SessionContainers containers;
  private final AtomicBoolean probing = new AtomicBoolean();

  /** The open event subscription, or null; a stream that ends clears only itself. */
  private volatile Subscription events;

  private volatile Boolean up;
  private volatile boolean closed;

  public EngineMonitor(Vertx vertx, ContainerRuntime runtime, SessionContainers containers) {
    this.vertx = vertx;
    this.runtime = runtime;
    this.containers = containers;
  }

  /** Whether the engine answered the last probe (false before the first). */
  public boolean up() {
    return Boolean.TRUE.equals(up);
  }

  /**
   * Pings the engine; when it answers and no event subscription is open, subscribes and re-reads
   * the IPs of running containers (the start-up reconcile, and recovery after an outage). Never
   * fails: the future tells whether the engine answered. Overlapping calls share nothing: a probe
   * already running makes this one return the last known state.
   */
  public Future<Boolean> probe() {
    if (closed || !probing.compareAndSet(false, true)) {
      return Future.succeededFuture(up());
    }
    return vertx
        .executeBlocking(this::probeBlocking, false)
        .otherwise(err -> false)
        .onComplete(ar -> probing.set(false));
  }

  private boolean probeBlocking() {
    String sandbox = containers.config().sandboxId();
    try {
      String version = runtime.ping();
      if (events == null && !closed) {
        // subscribe first, then re-read: a change in between is an event, not a stale IP
        Subscription sub = new Subscription();
        events = sub;
        try {
          sub.handle =
              runtime.watchContainerEvents(
                  Map.of(SessionContainers.LABEL_SANDBOX, sandbox),
                  this::onEvent,
                  cause -> onEnd(sub, cause));
        } catch (RuntimeException e) {
          events = null;
          throw e;
        }
        List<String> running = containers.adoptRunning();
        log.info(
            "sandbox {}: Docker {} at {} {}; IPs of {} running dev containers read: {}",
            sandbox,
            version,
            containers.config().dockerHost(),
            up == null ? "answers" : "is back",
            running.size(),
            running);
        if (closed) {
          closeEvents();
        }
      }
      up = true;
      return true;
    } catch (RuntimeException e) {
      if (!Boolean.FALSE.equals(up)) {
        log.warn(
            "sandbox {}: Docker engine {} is unavailable; retrying: {}",
            sandbox,
            containers.config().dockerHost(),
            e.getMessage());
      }
      up = false;
      closeEvents();
      containers.invalidateAll();
      return false;
    }
  }

  private void onEvent(ContainerEvent e) {
    String sid = e.labels().get(SessionContainers.LABEL_SESSION);
    if (sid != null) {
      log.debug("session {}: container {} {}", sid, e.containerId(), e.action());
      containers.forget(sid);
    }
  }

  private void onEnd(Subscription sub, Throwable cause) {
    if (closed || events != sub) {
      return;
    }
    log.warn(
        "sandbox {}: Docker event stream ended ({}); forgetting container IPs until the engine"
            + " answers again",
        containers.config().sandboxId(),
        cause == null ? "closed by the engine" : cause.getMessage());
    events = null;
    containers.invalidateAll();
  }

  private void closeEvents() {
    Subscription sub = events;
    events = null;
    if (sub != null && sub.handle != null) {
      try {
        sub.handle.close();
      } catch (Exception ignored) {
        // the stream is gone either way
      }
    }
  }

  /** One event subscription; its handle is set once the engine accepted it. */
  private static final class Subscription {
    volatile AutoCloseable handle;
  }

  /** Stops watching. Blocks briefly: call it from a worker. */
  @Override
  public void close() {
    closed = true;
    closeEvents();
  }
}
