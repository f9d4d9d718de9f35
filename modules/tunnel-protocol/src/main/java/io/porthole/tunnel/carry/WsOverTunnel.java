package io.porthole.tunnel.carry;

import io.porthole.tunnel.mux.MuxStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.util.Arrays;
import java.util.List;

/**
 * A WebSocket session over one tunnel stream. The upgrade request travels in the OPEN metadata
 * ({@link StreamTarget#ws}); the sandbox connects to the container with Vert.x's WebSocket client
 * and answers HEAD {status: 101, subprotocol} or FAIL; then messages flow both ways as TEXT /
 * BINARY records, and a CLOSE record carries the close code and reason across.
 */
public final class WsOverTunnel {

  private static final List<String> HANDSHAKE_HEADERS =
      List.of(
          "host",
          "connection",
          "upgrade",
          "sec-websocket-key",
          "sec-websocket-version",
          "sec-websocket-extensions",
          "sec-websocket-protocol",
          "content-length",
          "transfer-encoding");

  private WsOverTunnel() {}

  /** The sandbox accepted the upgrade: its subprotocol (or null) and the stream's reader. */
  public record Accepted(String subprotocol, RecordReader reader) {}

  /**
   * API side: waits for the sandbox's verdict on a stream opened with {@link StreamTarget#ws}.
   * Fails with {@link CarryException} (the origin's status when it rejected the upgrade).
   */
  public static Future<Accepted> awaitVerdict(MuxStream stream) {
    Promise<Accepted> verdict = Promise.promise();
    RecordReader reader = new RecordReader(stream);
    reader.handler(
        r -> {
          if (r.type() == Record.Type.HEAD) {
            reader.pause();
            verdict.tryComplete(new Accepted(r.json().getString("subprotocol"), reader));
          } else if (r.type() == Record.Type.FAIL) {
            verdict.tryFail(CarryException.fromJson(r.json()));
          }
        });
    reader.exceptionHandler(err -> verdict.tryFail(CarryException.broken(err)));
    reader.endHandler(
        v ->
            verdict.tryFail(
                new CarryException(502, "bad_gateway", "the sandbox closed the stream")));
    reader.resume();
    return verdict.future();
  }

  /** Sandbox side: connects to the container and bridges, or answers FAIL. */
  public static void serve(
      MuxStream stream, StreamTarget target, WebSocketClient client, SocketAddress origin) {
    RecordWriter writer = new RecordWriter(stream);
    MultiMap headers = target.headers();
    String protocols = headers.get("sec-websocket-protocol");
    HANDSHAKE_HEADERS.forEach(headers::remove);
    WebSocketConnectOptions options =
        new WebSocketConnectOptions()
            .setHost(origin.host())
            .setPort(origin.port())
            .setURI(target.uri())
            .setHeaders(headers)
            .setAllowOriginHeader(false);
    if (protocols != null) {
      options.setSubProtocols(
          Arrays.stream(protocols.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList());
    }
    stream.pause();
    client
        .connect(options)
        .onSuccess(
            ws -> {
              writer.write(
                  Record.Type.HEAD,
                  new JsonObject().put("status", 101).put("subprotocol", ws.subProtocol()));
              bridge(ws, new RecordReader(stream), stream);
            })
        .onFailure(
            err -> {
              if (err instanceof UpgradeRejectedException rejected) {
                HttpOverTunnel.fail(
                    writer,
                    rejected.getStatus(),
                    "upgrade_rejected",
                    "the app on port " + target.port() + " refused the WebSocket upgrade");
              } else {
                HttpOverTunnel.fail(
                    writer,
                    502,
                    "port_not_listening",
                    "port "
                        + target.port()
                        + " of session "
                        + target.sessionId()
                        + " is not listening ("
                        + err.getMessage()
                        + ")");
              }
            });
  }

  /**
   * Bridges a WebSocket and a tunnel stream both ways with back-pressure, carrying close codes.
   * Used on both sides; call it on the stream's context (the reader is confined to it).
   */
  public static void bridge(WebSocketBase ws, RecordReader reader, MuxStream stream) {
    Context here = Vertx.currentContext();
    RecordWriter writer = new RecordWriter(stream);
    Runnable throttle =
        () -> {
          if (writer.writeQueueFull()) {
            ws.pause();
            writer.drainHandler(v -> ws.resume());
          }
        };
    ws.textMessageHandler(
        text -> {
          writer.write(Record.Type.TEXT, Buffer.buffer(text));
          throttle.run();
        });
    ws.binaryMessageHandler(
        data -> {
          writer.write(Record.Type.BINARY, data);
          throttle.run();
        });
    boolean[] closeSent = {false};
    ws.closeHandler(
        v -> {
          if (!closeSent[0]) {
            closeSent[0] = true;
            Short code = ws.closeStatusCode();
            writer.write(
                Record.Type.CLOSE,
                new JsonObject()
                    .put("code", code == null ? 1005 : code.intValue())
                    .put("reason", ws.closeReason() == null ? "" : ws.closeReason()));
            writer.end();
          }
        });
    ws.exceptionHandler(err -> stream.reset());
    reader.handler(
        r -> {
          if (ws.isClosed()) {
            // closed (by its peer or a CLOSE record): what still comes has nowhere to go
            return;
          }
          switch (r.type()) {
            case TEXT -> ws.writeTextMessage(r.payload().toString());
            case BINARY -> ws.writeBinaryMessage(r.payload());
            case CLOSE -> {
              closeSent[0] = true;
              JsonObject c = r.json();
              int code = c.getInteger("code", 1000);
              ws.close(code == 1005 ? (short) 1000 : (short) code, c.getString("reason", ""));
            }
            default -> {}
          }
          if (!ws.isClosed() && ws.writeQueueFull()) {
            reader.pause();
            // the reader is confined to this (the stream's) context; the WebSocket may drain on
            // another event loop
            ws.drainHandler(
                v -> {
                  if (here == null) {
                    reader.resume();
                  } else {
                    here.runOnContext(x -> reader.resume());
                  }
                });
          }
        });
    reader.endHandler(
        v -> {
          if (!ws.isClosed()) {
            ws.close();
          }
        });
    reader.exceptionHandler(
        err -> {
          if (!ws.isClosed()) {
            ws.close((short) 1011, "tunnel stream failed");
          }
        });
    reader.resume();
  }
}
