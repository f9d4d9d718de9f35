package io.porthole.api;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Route handlers as {@code ctx -> Future<Reply>}; every failure becomes the JSON error body. */
final class Http {

  private static final Logger log = LoggerFactory.getLogger(Http.class);

  /** A response: a status and a JSON body (none for 204). */
  record Reply(int status, JsonObject body) {
    static Reply ok(JsonObject body) {
      return new Reply(200, body);
    }

    static Reply created(JsonObject body) {
      return new Reply(201, body);
    }

    static Reply noContent() {
      return new Reply(204, null);
    }
  }

  private Http() {}

  static Handler<RoutingContext> handle(Function<RoutingContext, Future<Reply>> fn) {
    return ctx -> {
      Future<Reply> reply;
      try {
        reply = fn.apply(ctx);
      } catch (RuntimeException e) {
        reply = Future.failedFuture(e);
      }
      reply.onSuccess(r -> send(ctx, r)).onFailure(err -> error(ctx, err));
    };
  }

  static void send(RoutingContext ctx, Reply r) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(r.status());
    if (r.body() == null) {
      ctx.response().end();
    } else {
      ctx.response().putHeader("content-type", "application/json").end(r.body().encode());
    }
  }

  /** The JSON error for any failure: typed codes keep theirs, an absent part is a 503. */
  static void error(RoutingContext ctx, Throwable err) {
    ErrorCode code;
    String message;
    if (err instanceof PortholeException pe) {
      code = pe.code();
      message = pe.getMessage();
    } else if (err instanceof ReplyException re) {
      code = ErrorCode.of(re);
      message =
          re.failureType() == ReplyFailure.NO_HANDLERS
              ? "a part of Porthole is not running (no handler for " + re.getMessage() + ")"
              : re.failureType() == ReplyFailure.TIMEOUT
                  ? "a part of Porthole did not answer in time"
                  : re.getMessage();
    } else {
      code = ErrorCode.INTERNAL;
      message = "internal error";
      log.error("{} {} failed", ctx.request().method(), ctx.request().path(), err);
    }
    HealthRoutes.fail(ctx, code, message);
  }

  static PortholeException invalid(String message) {
    return new PortholeException(ErrorCode.INVALID, message);
  }

  static PortholeException conflict(String message) {
    return new PortholeException(ErrorCode.CONFLICT, message);
  }

  static PortholeException notFound(String message) {
    return new PortholeException(ErrorCode.NOT_FOUND, message);
  }
}
