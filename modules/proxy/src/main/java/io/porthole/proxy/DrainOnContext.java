package io.porthole.proxy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/**
 * A write stream whose drain and exception handlers run on a given context: a client's response
 * fires its drain on the client connection's event loop, but the body piped into it is read by a
 * tunnel stream's reader, which is confined to the tunnel's context. Resuming that reader from the
 * other thread raced with its own pause and could lose the wake-up (a stalled download).
 */
final class DrainOnContext implements WriteStream<Buffer> {

  private final WriteStream<Buffer> out;
  private final Context context;

  DrainOnContext(WriteStream<Buffer> out, Context context) {
    this.out = out;
    this.context = context;
  }

  @Override
  public Future<Void> write(Buffer data) {
    return out.write(data);
  }

  @Override
  public Future<Void> end() {
    return out.end();
  }

  @Override
  public DrainOnContext exceptionHandler(Handler<Throwable> handler) {
    out.exceptionHandler(
        handler == null ? null : err -> context.runOnContext(v -> handler.handle(err)));
    return this;
  }

  @Override
  public DrainOnContext setWriteQueueMaxSize(int maxSize) {
    out.setWriteQueueMaxSize(maxSize);
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return out.writeQueueFull();
  }

  @Override
  public DrainOnContext drainHandler(Handler<Void> handler) {
    out.drainHandler(handler == null ? null : x -> context.runOnContext(v -> handler.handle(null)));
    return this;
  }
}
