package io.porthole.tunnel.mux.impl;

import io.porthole.tunnel.mux.ControlException;
import io.porthole.tunnel.mux.ControlRequest;
import io.porthole.tunnel.mux.ControlTimeoutException;
import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.ProtocolException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request/reply over CONTROL frames (stream 0), in both directions. Requests carry a correlation id
 * unique per sender; replies echo it. See {@code docs/tunnel-protocol.md} for the JSON shapes.
 */
final class ControlChannel {

  private static final Logger log = LoggerFactory.getLogger(ControlChannel.class);

  private static final int MAX_ERROR_MESSAGE_CHARS = 1024;

  private record PendingRequest(String command, Promise<JsonObject> promise, long timerId) {}

  private final Loop loop;
  private final FrameWriter writer;
  private final int maxPayload;
  private final Map<Long, PendingRequest> pending = new HashMap<>();
  private long nextId = 1;
  private volatile Function<ControlRequest, Future<JsonObject>> handler;
  private Throwable closed;

  ControlChannel(Loop loop, FrameWriter writer, int maxPayload) {
    this.loop = loop;
    this.writer = writer;
    this.maxPayload = maxPayload;
  }

  /** Effective at once from any thread (the field is volatile). */
  void handler(Function<ControlRequest, Future<JsonObject>> handler) {
    this.handler = handler;
  }

  Future<JsonObject> request(String command, JsonObject body, Duration timeout) {
    Objects.requireNonNull(command, "command");
    if (timeout.isNegative() || timeout.isZero()) {
      return Future.failedFuture(new IllegalArgumentException("timeout must be positive"));
    }
    if (closed != null) {
      return Future.failedFuture(closed);
    }
    long id = nextId++;
    Buffer payload =
        new JsonObject()
            .put("kind", "request")
            .put("id", id)
            .put("command", command)
            .put("body", body == null ? new JsonObject() : body)
            .toBuffer();
    if (payload.length() > maxPayload) {
      return Future.failedFuture(
          new IllegalArgumentException(
              "control request '"
                  + command
                  + "' is "
                  + payload.length()
                  + " bytes, over the "
                  + maxPayload
                  + "-byte frame limit"));
    }
    Promise<JsonObject> promise = Promise.promise();
    long timerId =
        loop.vertx().setTimer(Math.max(1, timeout.toMillis()), t -> onTimeout(id, timeout));
    pending.put(id, new PendingRequest(command, promise, timerId));
    writer.send(Frame.control(payload));
    return promise.future();
  }

  void onFrame(Frame frame) throws ProtocolException {
    JsonObject message;
    try {
      message = frame.payload().toJsonObject();
    } catch (RuntimeException e) {
      throw malformed("payload is not a JSON object");
    }
    try {
      String kind = message.getString("kind");
      Long id = message.getLong("id");
      if (id == null || id <= 0) {
        throw malformed("message has no positive 'id'");
      }
      if ("request".equals(kind)) {
        String command = message.getString("command");
        if (command == null) {
          throw malformed("request " + id + " has no 'command'");
        }
        JsonObject body = message.getJsonObject("body");
        onRequest(id, command, body == null ? new JsonObject() : body);
      } else if ("reply".equals(kind)) {
        onReply(id, message);
      } else {
        throw malformed("unknown kind '" + kind + "'");
      }
    } catch (ClassCastException e) {
      throw malformed("a field has the wrong JSON type");
    }
  }

  /** Fails all outstanding requests; later requests fail at once. */
  void failAll(Throwable cause) {
    closed = cause;
    List<PendingRequest> outstanding = new ArrayList<>(pending.values());
    pending.clear();
    for (PendingRequest request : outstanding) {
      loop.vertx().cancelTimer(request.timerId());
      request.promise().tryFail(cause);
    }
  }

  private void onRequest(long id, String command, JsonObject body) {
    Function<ControlRequest, Future<JsonObject>> current = handler;
    Future<JsonObject> result;
    if (current == null) {
      result =
          Future.failedFuture(
              new ControlException(
                  ControlException.NO_HANDLER, "no control handler for '" + command + "'"));
    } else {
      try {
        result = current.apply(new ControlRequest(command, body));
        if (result == null) {
          result = Future.failedFuture(new IllegalStateException("control handler returned null"));
        }
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
    }
    result.onComplete(ar -> loop.run(() -> reply(id, command, ar)));
  }

  private void reply(long id, String command, AsyncResult<JsonObject> result) {
    if (closed != null) {
      return;
    }
    JsonObject message = new JsonObject().put("kind", "reply").put("id", id);
    if (result.succeeded()) {
      JsonObject body = result.result() == null ? new JsonObject() : result.result();
      message.put("ok", true).put("body", body);
    } else {
      message.put("ok", false).put("error", errorJson(result.cause()));
    }
    Buffer payload = message.toBuffer();
    if (payload.length() > maxPayload) {
      String text = "reply to '" + command + "' is " + payload.length() + " bytes, too large";
      payload =
          new JsonObject()
              .put("kind", "reply")
              .put("id", id)
              .put("ok", false)
              .put(
                  "error",
                  new JsonObject()
                      .put("code", ControlException.REPLY_TOO_LARGE)
                      .put("message", text))
              .toBuffer();
    }
    writer.send(Frame.control(payload));
  }

  private void onReply(long id, JsonObject message) {
    boolean ok = Boolean.TRUE.equals(message.getBoolean("ok"));
    JsonObject body = message.getJsonObject("body");
    JsonObject error = message.getJsonObject("error");
    PendingRequest request = pending.remove(id);
    if (request == null) {
      log.debug("ignoring CONTROL reply {}: no such request outstanding (timed out?)", id);
      return;
    }
    loop.vertx().cancelTimer(request.timerId());
    if (ok) {
      request.promise().tryComplete(body == null ? new JsonObject() : body);
    } else {
      String code = error == null ? ControlException.HANDLER_FAILED : error.getString("code");
      String text = error == null ? "" : error.getString("message", "");
      request
          .promise()
          .tryFail(
              new ControlException(code == null ? ControlException.HANDLER_FAILED : code, text));
    }
  }

  private void onTimeout(long id, Duration timeout) {
    PendingRequest request = pending.remove(id);
    if (request != null) {
      request.promise().tryFail(new ControlTimeoutException(request.command(), timeout));
    }
  }

  private static JsonObject errorJson(Throwable cause) {
    String code;
    String text;
    if (cause instanceof ControlException controlException) {
      code = controlException.code();
      text = controlException.getMessage();
    } else {
      code = ControlException.HANDLER_FAILED;
      text = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName();
    }
    if (text == null) {
      text = "";
    } else if (text.length() > MAX_ERROR_MESSAGE_CHARS) {
      text = text.substring(0, MAX_ERROR_MESSAGE_CHARS);
    }
    return new JsonObject().put("code", code).put("message", text);
  }

  private static ProtocolException malformed(String what) {
    return new ProtocolException(ErrorCode.PROTOCOL_ERROR, "malformed CONTROL message: " + what);
  }
}
