package io.porthole.tunnel.carry;

import io.porthole.tunnel.mux.MuxStream;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import java.util.List;

/**
 * An HTTP exchange over one tunnel stream. The request head travels in the OPEN metadata ({@link
 * StreamTarget#http}); then the request body as BODY records until the API side half-closes; the
 * sandbox answers with HEAD {status, message, headers}, BODY records, optional TRAILERS, and
 * half-closes — or with one FAIL record. Both ends use Vert.x's own HTTP types: nothing here parses
 * HTTP/1.
 */
public final class HttpOverTunnel {

  /** Connection-level headers that never cross a hop. */
  public static final List<String> HOP_BY_HOP =
      List.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "proxy-authenticate",
          "proxy-authorization",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade");

  private HttpOverTunnel() {}

  /** The response as the API side receives it: head now, body and trailers streaming. */
  public record Response(
      int status,
      String statusMessage,
      MultiMap headers,
      BodyStream body,
      Future<MultiMap> trailers) {}

  /**
   * API side: sends {@code requestBody} (null for none) on a stream opened with {@link
   * StreamTarget#http}, and completes with the response once its head arrives. Fails with a {@link
   * CarryException} when the sandbox answers FAIL or the stream breaks first. The body stream is
   * paused until it is piped.
   */
  public static Future<Response> exchange(MuxStream stream, ReadStream<Buffer> requestBody) {
    Promise<Response> head = Promise.promise();
    Promise<MultiMap> trailers = Promise.promise();
    RecordReader reader = new RecordReader(stream);
    BodyStream body = new BodyStream(reader);
    body.recordHandler(
        r -> {
          switch (r.type()) {
            case HEAD -> {
              body.pause();
              JsonObject h = r.json();
              head.tryComplete(
                  new Response(
                      h.getInteger("status", 502),
                      h.getString("message", ""),
                      StreamTarget.headersFromJson(h.getJsonArray("headers")),
                      body,
                      trailers.future()));
            }
            case TRAILERS ->
                trailers.tryComplete(
                    StreamTarget.headersFromJson(new io.vertx.core.json.JsonArray(r.payload())));
            case FAIL -> {
              CarryException e = CarryException.fromJson(r.json());
              if (!head.tryFail(e)) {
                trailers.tryFail(e);
              }
            }
            default -> {}
          }
        });
    body.internalHooks(
        () -> trailers.tryComplete(MultiMap.caseInsensitiveMultiMap()),
        err -> {
          CarryException e = broken(err);
          head.tryFail(e);
          trailers.tryFail(e);
        });
    body.resume();
    RecordWriter writer = new RecordWriter(stream);
    if (requestBody == null) {
      stream.end();
    } else {
      requestBody.pipeTo(writer).onFailure(err -> stream.reset());
    }
    return head.future();
  }

  private static CarryException broken(Throwable err) {
    return CarryException.broken(err);
  }

  /** Sandbox side: performs the exchange against the container at {@code origin}. */
  public static void serve(
      MuxStream stream, StreamTarget target, HttpClient client, SocketAddress origin) {
    RecordWriter writer = new RecordWriter(stream);
    MultiMap headers = target.headers();
    boolean chunked = headers.contains("transfer-encoding", "chunked", true);
    HOP_BY_HOP.forEach(headers::remove);
    HttpMethod method = HttpMethod.valueOf(target.method());
    RequestOptions options =
        new RequestOptions()
            .setServer(origin)
            .setHost(origin.host())
            .setPort(origin.port())
            .setMethod(method)
            .setURI(target.uri())
            .setHeaders(headers);
    stream.pause();
    client
        .request(options)
        .onFailure(
            err ->
                fail(
                    writer,
                    502,
                    "port_not_listening",
                    "port "
                        + target.port()
                        + " of session "
                        + target.sessionId()
                        + " is not listening ("
                        + err.getMessage()
                        + ")"))
        .onSuccess(
            request -> {
              if (chunked) {
                request.setChunked(true);
              }
              // the reader owns the stream's exception handler; its hook fires whenever the API
              // side resets (client gone, timeout), also after the request body ended, so the
              // app's request is cancelled and not left running
              BodyStream body = new BodyStream(new RecordReader(stream));
              body.internalHooks(() -> {}, err -> request.reset());
              request
                  .response()
                  .onSuccess(response -> relay(response, writer, stream))
                  .onFailure(
                      err ->
                          fail(
                              writer,
                              502,
                              "bad_gateway",
                              "the app on port " + target.port() + " failed: " + err.getMessage()));
              body.pipeTo(request).onFailure(err -> request.reset());
            });
  }

  private static void relay(HttpClientResponse response, RecordWriter writer, MuxStream stream) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(response.headers());
    writer.write(
        Record.Type.HEAD,
        new JsonObject()
            .put("status", response.statusCode())
            .put("message", response.statusMessage())
            .put("headers", StreamTarget.headersToJson(headers)));
    response
        .pipe()
        .endOnSuccess(false)
        .to(writer)
        .onSuccess(
            v -> {
              if (!response.trailers().isEmpty()) {
                writer.write(
                    Record.Type.TRAILERS,
                    StreamTarget.headersToJson(response.trailers()).toBuffer());
              }
              stream.end();
            })
        .onFailure(
            err -> {
              response.request().reset();
              stream.reset();
            });
  }

  static void fail(RecordWriter writer, int status, String code, String message) {
    writer.write(Record.Type.FAIL, new CarryException(status, code, message).toJson());
    writer.end();
  }
}
