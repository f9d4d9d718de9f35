package io.porthole.proxy;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.Hashing;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The proxy's look-ups over the event bus, cached briefly: exposures (registry), API keys
 * (registry, by hash), and routes (which node holds a sandbox's tunnel; dropped when a tunnel
 * moves).
 */
final class Lookups {

  private static final DeliveryOptions FAST = new DeliveryOptions().setSendTimeout(5_000);

  /**
   * Route look-ups answer from memory on the node holding the tunnel: a slow answer means that node
   * is gone (until the cluster notices, its registration still takes its turn), so ask again soon;
   * the next turn goes to another holder.
   */
  private static final DeliveryOptions ROUTE = new DeliveryOptions().setSendTimeout(750);

  private static final int ROUTE_ATTEMPTS = 3;

  private final Vertx vertx;
  private final long ttlMs;
  private final Cache exposures = new Cache(4096);
  private final Cache keys = new Cache(1024);
  private final Cache routes = new Cache(4096);

  Lookups(Vertx vertx, long ttlMs) {
    this.vertx = vertx;
    this.ttlMs = ttlMs;
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.TUNNELS_CHANGED,
            msg -> {
              if (msg.body() != null) {
                routes.drop(msg.body().getString("sandbox_id", ""));
              }
            });
  }

  /**
   * A small LRU of values with an expiry, confined to the caller's event loop by being
   * per-verticle.
   */
  private static final class Cache extends LinkedHashMap<String, Cache.Entry> {
    private static final long serialVersionUID = 1L;

    record Entry(JsonObject value, long expires) {}

    private final int max;

    Cache(int max) {
      super(16, 0.75f, true);
      this.max = max;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
      return size() > max;
    }

    synchronized JsonObject fresh(String key) {
      Entry e = get(key);
      return e != null && e.expires() > System.currentTimeMillis() ? e.value() : null;
    }

    synchronized void store(String key, JsonObject value, long ttl) {
      put(key, new Entry(value, System.currentTimeMillis() + ttl));
    }

    synchronized void drop(String key) {
      remove(key);
    }
  }

  Future<JsonObject> exposure(Target target) {
    JsonObject cached = exposures.fresh(target.cacheKey());
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return request(Addresses.REGISTRY_EXPOSURE_RESOLVE, target.resolveRequest())
        .onSuccess(e -> exposures.store(target.cacheKey(), e, ttlMs));
  }

  /** {key_id, owner, admin} for a bearer key; fails UNAUTHORIZED. */
  Future<JsonObject> key(String bearer) {
    String hash = Hashing.sha256Hex(bearer);
    JsonObject cached = keys.fresh(hash);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return request(Addresses.REGISTRY_KEY_AUTHENTICATE, new JsonObject().put("key_hash", hash))
        .onSuccess(k -> keys.store(hash, k, ttlMs));
  }

  /** {node_id, host, port} of the node holding the sandbox's tunnel; 503 when none does. */
  Future<JsonObject> route(String sandboxId) {
    JsonObject cached = routes.fresh(sandboxId);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return routeAttempt(sandboxId, ROUTE_ATTEMPTS)
        .recover(
            err ->
                Future.failedFuture(
                    ErrorCode.of(err) == ErrorCode.UNAVAILABLE
                        ? new PortholeException(
                            ErrorCode.UNAVAILABLE,
                            "the session's sandbox " + sandboxId + " has no tunnel right now")
                        : err))
        .onSuccess(r -> routes.store(sandboxId, r, ttlMs * 5));
  }

  /**
   * Two asks at once (point-to-point delivery takes the holders in turn, so with two tunnels they
   * reach both), the first answer wins: a holder that died costs nothing while another lives.
   */
  private Future<JsonObject> routeAttempt(String sandboxId, int attemptsLeft) {
    Future<JsonObject> first = askRoute(sandboxId);
    Future<JsonObject> second = askRoute(sandboxId);
    return Future.any(first, second)
        .map(v -> first.succeeded() ? first.result() : second.result())
        .recover(
            err -> {
              boolean noHolder =
                  err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
              if (!noHolder && attemptsLeft > 1) {
                return routeAttempt(sandboxId, attemptsLeft - 1);
              }
              return Future.failedFuture(
                  new PortholeException(ErrorCode.of(err), err.getMessage()));
            });
  }

  private Future<JsonObject> askRoute(String sandboxId) {
    return vertx
        .eventBus()
        .<JsonObject>request(Addresses.sandboxRoute(sandboxId), new JsonObject(), ROUTE)
        .map(m -> m.body());
  }

  void forgetRoute(String sandboxId) {
    routes.drop(sandboxId);
  }

  private Future<JsonObject> request(String address, JsonObject body) {
    return vertx
        .eventBus()
        .<JsonObject>request(address, body, FAST)
        .map(m -> m.body())
        .recover(
            err -> {
              ErrorCode code = ErrorCode.of(err);
              return Future.failedFuture(new PortholeException(code, err.getMessage()));
            });
  }
}
