package io.porthole.registry;

import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Registers request/reply handlers whose failures reach the caller as typed error codes. */
public final class Bus {

  private static final Logger log = LoggerFactory.getLogger(Bus.class);

  private Bus() {}

  /**
   * Serves {@code address} on this node only: the handler's reply, or {@code fail(code, text)} on
   * failure. Every API node runs the registry, and PostgreSQL is the shared state, so a request
   * never needs another node's registry; staying local keeps a dead node's registration (until the
   * cluster notices it) from taking its turn.
   */
  public static MessageConsumer<JsonObject> serve(
      Vertx vertx, String address, Function<JsonObject, Future<JsonObject>> handler) {
    return vertx
        .eventBus()
        .localConsumer(
            address,
            msg -> {
              Future<JsonObject> reply;
              try {
                reply = handler.apply(msg.body() == null ? new JsonObject() : msg.body());
              } catch (RuntimeException e) {
                reply = Future.failedFuture(e);
              }
              reply
                  .onSuccess(msg::reply)
                  .onFailure(
                      err -> {
                        ErrorCode code = Failures.codeOf(err);
                        if (code == ErrorCode.INTERNAL) {
                          log.error("{} failed", address, err);
                        } else {
                          log.debug("{} failed: {} {}", address, code, err.getMessage());
                        }
                        msg.fail(code.code(), Failures.messageOf(err, code));
                      });
            });
  }
}
