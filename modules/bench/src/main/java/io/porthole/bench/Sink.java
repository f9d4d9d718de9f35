package io.porthole.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving end of a throughput run: counts the bytes of each incoming stream (tunnel stream or
 * TCP socket) and reports the count and the moment its end arrived to whoever asked first.
 */
final class Sink {

  private static final Logger log = LoggerFactory.getLogger(Sink.class);

  /** What one stream delivered, and when (System.nanoTime) its end arrived. */
  record Received(long bytes, long endNanos) {}

  private final Queue<Promise<Received>> waiting = new ConcurrentLinkedQueue<>();

  /** The next stream's tally; ask before opening the stream. */
  Future<Received> next() {
    Promise<Received> promise = Promise.promise();
    waiting.add(promise);
    return promise.future();
  }

  /** Counts {@code in} to its end; then runs {@code afterEnd} (e.g. closes the other direction). */
  void accept(ReadStream<Buffer> in, Runnable afterEnd) {
    Promise<Received> promise = waiting.poll();
    if (promise == null) {
      log.warn("a stream arrived that no run expects; it is counted and dropped");
      promise = Promise.promise();
    }
    Promise<Received> result = promise;
    long[] count = {0};
    in.handler(buffer -> count[0] += buffer.length());
    in.exceptionHandler(result::tryFail);
    in.endHandler(
        v -> {
          result.tryComplete(new Received(count[0], System.nanoTime()));
          afterEnd.run();
        });
  }
}
