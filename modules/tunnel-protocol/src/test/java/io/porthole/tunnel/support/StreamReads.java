package io.porthole.tunnel.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/** Consuming read streams in tests. */
public final class StreamReads {

  private StreamReads() {}

  /** Byte count and CRC32 of a whole stream. */
  public record Summary(long bytes, long checksum) {}

  /** Everything the stream delivers until its end; fails with the stream's exception. */
  public static Future<Buffer> collect(ReadStream<Buffer> stream) {
    Promise<Buffer> promise = Promise.promise();
    Buffer all = Buffer.buffer();
    stream.exceptionHandler(promise::tryFail);
    stream.endHandler(v -> promise.tryComplete(all));
    stream.handler(all::appendBuffer);
    return promise.future();
  }

  /** Counts and checksums the stream until its end, without keeping the bytes. */
  public static Future<Summary> summarize(ReadStream<Buffer> stream) {
    return summarize(stream, chunk -> {});
  }

  /** Like {@link #summarize(ReadStream)}, also showing each chunk to {@code observer}. */
  public static Future<Summary> summarize(ReadStream<Buffer> stream, Consumer<Buffer> observer) {
    Promise<Summary> promise = Promise.promise();
    CRC32 crc = new CRC32();
    long[] count = {0};
    stream.exceptionHandler(promise::tryFail);
    stream.endHandler(v -> promise.tryComplete(new Summary(count[0], crc.getValue())));
    stream.handler(
        chunk -> {
          count[0] += chunk.length();
          crc.update(chunk.getBytes());
          observer.accept(chunk);
        });
    return promise.future();
  }
}
