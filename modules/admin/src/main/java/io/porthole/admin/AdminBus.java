package io.porthole.admin;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Request/reply on the event bus with typed failures, for the admin's own addresses. */
final class AdminBus {

  private static final Logger log = LoggerFactory.getLogger(AdminBus.class);

  private AdminBus() {}

  /**
   * Serves {@code address} for the whole cluster: the handler's reply, or {@code fail(code, text)}.
   */
  static MessageConsumer<JsonObject> serve(
      Vertx vertx, String address, Function<JsonObject, Future<JsonObject>> handler) {
    return serve(vertx, address, handler, false);
  }

  /**
   * Serves {@code address}, on this node only when {@code local} (an address every API node serves
   * alike, so a dead node's registration never takes a turn).
   */
  static MessageConsumer<JsonObject> serve(
      Vertx vertx,
      String address,
      Function<JsonObject, Future<JsonObject>> handler,
      boolean local) {
    return (local
            ? vertx.eventBus().<JsonObject>localConsumer(address)
            : vertx.eventBus().<JsonObject>consumer(address))
        .handler(
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
                        ErrorCode code = ErrorCode.of(err);
                        if (code == ErrorCode.INTERNAL) {
                          log.error("{} failed", address, err);
                        }
                        msg.fail(code.code(), messageOf(err, code));
                      });
            });
  }

  private static String messageOf(Throwable err, ErrorCode code) {
    if (err instanceof PortholeException || err instanceof ReplyException) {
      return String.valueOf(err.getMessage());
    }
    return code == ErrorCode.INTERNAL ? "internal error" : String.valueOf(err.getMessage());
  }

  static Future<JsonObject> request(Vertx vertx, String address, JsonObject body, long timeoutMs) {
    return vertx
        .eventBus()
        .<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(m -> m.body() == null ? new JsonObject() : m.body());
  }

  static String str(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (!(v instanceof String s) || s.isEmpty()) {
      throw new PortholeException(ErrorCode.INVALID, "'" + field + "' is required (a string)");
    }
    return s;
  }
}
