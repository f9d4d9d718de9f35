package io.porthole.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * WebSocket echo load for {@code scripts/bench}: opens {@code connections} WebSockets to one URL,
 * and on each keeps one binary message of {@code size} bytes in flight (send, wait for its echo,
 * send the next) for {@code seconds} after a warm-up. Prints one line:
 *
 * <pre>messages/s N p50_ms X p99_ms Y opened C errors E</pre>
 *
 * <p>One event loop, no blocking on it; bounded in count (the connections, and at most {@code
 * MAX_SAMPLES} latency samples) and in time (connect timeout, the run's seconds, a hard deadline).
 *
 * <p>Usage: {@code WsLoad URL CONNECTIONS SIZE SECONDS [WARMUP_SECONDS]}; exit 0 when every
 * connection opened and no error happened, 1 otherwise, 2 on bad arguments.
 */
public final class WsLoad {

  private static final int MAX_SAMPLES = 4_000_000;

  private final WebSocketClient client;
  private final WebSocketConnectOptions target;
  private final Buffer payload;
  private final long[] samples = new long[MAX_SAMPLES];
  private int sampleCount;
  private long measured;
  private boolean measuring;
  private boolean stopped;
  private int errors;
  private String firstError = "";

  private WsLoad(WebSocketClient client, WebSocketConnectOptions target, int size) {
    this.client = client;
    this.target = target;
    byte[] bytes = new byte[size];
    Arrays.fill(bytes, (byte) 'x');
    this.payload = Buffer.buffer(bytes);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: WsLoad URL CONNECTIONS SIZE SECONDS [WARMUP_SECONDS]");
      System.exit(2);
    }
    URI uri = URI.create(args[0]);
    int connections = Integer.parseInt(args[1]);
    int size = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    if (connections < 1 || connections > 10_000 || size < 1 || size > 1 << 20 || seconds < 1) {
      System.err.println("WsLoad: connections 1..10000, size 1..1048576, seconds >= 1");
      System.exit(2);
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    WebSocketClient client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setMaxConnections(connections)
                .setConnectTimeout(10_000)
                .setTcpNoDelay(true)
                .setMaxFrameSize(Math.max(65_536, size))
                .setMaxMessageSize(Math.max(65_536, size)));
    WebSocketConnectOptions target =
        new WebSocketConnectOptions()
            .setHost(uri.getHost())
            .setPort(uri.getPort() == -1 ? 80 : uri.getPort())
            .setURI(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
            .setTimeout(10_000);
    WsLoad load = new WsLoad(client, target, size);
    CompletableFuture<String> result = new CompletableFuture<>();
    vertx.runOnContext(
        v ->
            load.run(vertx, connections, seconds, warmup)
                .onComplete(ar -> result.complete(ar.succeeded() ? ar.result() : "")));
    // the main thread is not an event loop: it may wait, bounded by a hard deadline
    String line;
    try {
      line = result.get(seconds + warmup + 60L, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      line = "";
    }
    // System.exit below ends the event loop and its sockets; nothing to wait for
    if (line.isEmpty()) {
      System.out.println("messages/s 0 p50_ms - p99_ms - opened 0 errors 1");
      System.err.println("WsLoad: the run did not finish");
      System.exit(1);
    }
    System.out.println(line);
    System.exit(line.endsWith(" errors 0") && !line.contains("opened 0 ") ? 0 : 1);
  }

  private Future<String> run(Vertx vertx, int connections, int seconds, int warmup) {
    List<Future<WebSocket>> opening = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      opening.add(client.connect(target));
    }
    return Future.join(opening)
        .transform(
            ar -> {
              List<WebSocket> open = new ArrayList<>();
              for (Future<WebSocket> f : opening) {
                if (f.succeeded()) {
                  open.add(f.result());
                } else {
                  error(f.cause());
                }
              }
              if (open.isEmpty()) {
                return Future.failedFuture("no WebSocket opened: " + firstError);
              }
              open.forEach(this::drive);
              Promise<String> done = Promise.promise();
              vertx.setTimer(
                  Math.max(1, warmup) * 1000L,
                  t1 -> {
                    measuring = true;
                    long start = System.nanoTime();
                    vertx.setTimer(
                        seconds * 1000L,
                        t2 -> {
                          stopped = true;
                          double elapsed = (System.nanoTime() - start) / 1e9;
                          open.forEach(ws -> ws.close());
                          done.complete(summary(elapsed, open.size()));
                        });
                  });
              return done.future();
            });
  }

  /** One message in flight on {@code ws}: each echo sends the next. */
  private void drive(WebSocket ws) {
    long[] sent = new long[1];
    ws.exceptionHandler(this::error);
    ws.binaryMessageHandler(
        echo -> {
          if (stopped) {
            return;
          }
          if (echo.length() != payload.length()) {
            error(new IllegalStateException("echo of " + echo.length() + " bytes"));
            return;
          }
          if (measuring) {
            measured++;
            if (sampleCount < MAX_SAMPLES) {
              samples[sampleCount++] = System.nanoTime() - sent[0];
            }
          }
          sent[0] = System.nanoTime();
          ws.writeBinaryMessage(payload);
        });
    sent[0] = System.nanoTime();
    ws.writeBinaryMessage(payload);
  }

  private void error(Throwable cause) {
    if (stopped) {
      return;
    }
    if (errors++ == 0) {
      firstError = String.valueOf(cause.getMessage());
      System.err.println("WsLoad: " + firstError);
    }
  }

  private String summary(double elapsed, int opened) {
    long[] sorted = Arrays.copyOf(samples, sampleCount);
    Arrays.sort(sorted);
    return String.format(
        Locale.ROOT,
        "messages/s %.0f p50_ms %s p99_ms %s opened %d errors %d",
        measured / elapsed,
        percentile(sorted, 0.50),
        percentile(sorted, 0.99),
        opened,
        errors);
  }

  private static String percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return "-";
    }
    int index = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return String.format(Locale.ROOT, "%.2f", sorted[Math.max(0, index)] / 1e6);
  }
}
