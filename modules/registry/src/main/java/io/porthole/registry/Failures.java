package io.porthole.registry;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.vertx.core.Future;
import io.vertx.core.VertxException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * Turns any failure into the {@link ErrorCode} a caller sees: typed failures keep their code,
 * PostgreSQL constraint violations become conflicts or invalid requests, and a PostgreSQL that
 * cannot be reached (refused, closed, shutting down) is {@link ErrorCode#UNAVAILABLE}.
 */
public final class Failures {

  private Failures() {}

  public static PortholeException error(ErrorCode code, String message) {
    return new PortholeException(code, message);
  }

  public static <T> Future<T> fail(ErrorCode code, String message) {
    return Future.failedFuture(new PortholeException(code, message));
  }

  public static ErrorCode codeOf(Throwable t) {
    if (t instanceof PortholeException pe) {
      return pe.code();
    }
    if (t instanceof ReplyException) {
      return ErrorCode.of(t);
    }
    if (t instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      if (state.equals("23505") || state.equals("23503")) {
        return ErrorCode.CONFLICT;
      }
      if (state.startsWith("22") || state.equals("23514") || state.equals("23502")) {
        return ErrorCode.INVALID;
      }
      if (state.startsWith("08")
          || state.startsWith("57P")
          || state.startsWith("53")
          || state.equals("40001")
          || state.equals("40P01")) {
        return ErrorCode.UNAVAILABLE;
      }
      return ErrorCode.INTERNAL;
    }
    if (t instanceof IOException
        || t instanceof TimeoutException
        || t instanceof ClosedConnectionException
        || (t instanceof VertxException && t.getCause() instanceof IOException)) {
      // connection refused or closed, pool wait timed out: the store is unreachable
      return ErrorCode.UNAVAILABLE;
    }
    return ErrorCode.INTERNAL;
  }

  /** The text a caller sees: no SQL, no stack, no secrets. */
  public static String messageOf(Throwable t, ErrorCode code) {
    if (t instanceof PortholeException || t instanceof ReplyException) {
      return String.valueOf(t.getMessage());
    }
    if (t instanceof PgException pg) {
      return switch (code) {
        case CONFLICT -> "conflicting change (" + pg.getConstraint() + ")";
        case INVALID -> "rejected by the store: " + pg.getErrorMessage();
        case UNAVAILABLE -> "PostgreSQL is unavailable, retry later";
        default -> "internal error";
      };
    }
    return code == ErrorCode.UNAVAILABLE
        ? "PostgreSQL is unavailable, retry later (" + t.getMessage() + ")"
        : "internal error";
  }
}
