package io.porthole.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/**
 * Writes a number of bytes to a {@link WriteStream} as fast as its back-pressure allows, by
 * repeating one chunk, then ends the stream. The same code drives a tunnel stream and a TCP socket,
 * so both see the same write pattern.
 */
final class Pump {

  private final WriteStream<Buffer> out;
  private final Buffer chunk;
  private final Promise<Void> done = Promise.promise();
  private long remaining;
  private boolean pumping;
  private boolean ended;

  private Pump(WriteStream<Buffer> out, Buffer chunk, long total) {
    this.out = out;
    this.chunk = chunk;
    this.remaining = total;
  }

  /**
   * Sends {@code total} bytes, {@code chunk} after {@code chunk}, then ends {@code out}; completes
   * when the end was written. Must be called on {@code out}'s context.
   */
  static Future<Void> send(WriteStream<Buffer> out, Buffer chunk, long total) {
    Pump pump = new Pump(out, chunk, total);
    out.exceptionHandler(pump.done::tryFail);
    out.drainHandler(v -> pump.pump());
    pump.pump();
    return pump.done.future();
  }

  private void pump() {
    if (pumping || ended) {
      // a drain signalled from inside write(): the loop below is still running
      return;
    }
    pumping = true;
    try {
      while (remaining > 0 && !out.writeQueueFull()) {
        int length = (int) Math.min(chunk.length(), remaining);
        remaining -= length;
        out.write(length == chunk.length() ? chunk : chunk.slice(0, length))
            .onFailure(done::tryFail);
      }
    } finally {
      pumping = false;
    }
    if (remaining == 0 && !ended) {
      ended = true;
      out.end().onComplete(done);
    }
  }
}
