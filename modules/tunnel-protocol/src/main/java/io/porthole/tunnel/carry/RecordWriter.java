package io.porthole.tunnel.carry;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.WriteStream;

/**
 * Writes records onto a byte stream. As a {@code WriteStream<Buffer>} it frames every buffer as a
 * BODY record (header and payload written separately: the payload is not copied), so a body can be
 * piped into it with back-pressure; {@link #end()} only ends the underlying stream when asked.
 */
public final class RecordWriter implements WriteStream<Buffer> {

  private final WriteStream<Buffer> out;

  public RecordWriter(WriteStream<Buffer> out) {
    this.out = out;
  }

  public Future<Void> write(Record.Type type, Buffer payload) {
    Buffer p = payload == null ? Buffer.buffer() : payload;
    if (p.length() == 0) {
      return out.write(Record.header(type, 0));
    }
    out.write(Record.header(type, p.length()));
    return out.write(p);
  }

  public Future<Void> write(Record.Type type, JsonObject json) {
    return write(type, json.toBuffer());
  }

  @Override
  public Future<Void> write(Buffer data) {
    return write(Record.Type.BODY, data);
  }

  /** Ends the underlying stream (half-close). */
  @Override
  public Future<Void> end() {
    return out.end();
  }

  @Override
  public RecordWriter exceptionHandler(Handler<Throwable> handler) {
    out.exceptionHandler(handler);
    return this;
  }

  @Override
  public RecordWriter setWriteQueueMaxSize(int maxSize) {
    out.setWriteQueueMaxSize(maxSize);
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return out.writeQueueFull();
  }

  @Override
  public RecordWriter drainHandler(Handler<Void> handler) {
    out.drainHandler(handler);
    return this;
  }
}
