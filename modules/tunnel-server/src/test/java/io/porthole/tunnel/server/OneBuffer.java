package io.porthole.tunnel.server;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/** A ReadStream that emits one buffer in 64 KiB slices, honouring pause, then ends. */
final class OneBuffer implements ReadStream<Buffer> {

  private final Vertx vertx;
  private final Buffer data;
  private int pos;
  private boolean paused = true;
  private boolean scheduled;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;

  OneBuffer(Vertx vertx, Buffer data) {
    this.vertx = vertx;
    this.data = data;
  }

  private void pump() {
    scheduled = false;
    while (!paused && pos < data.length()) {
      int end = Math.min(data.length(), pos + 64 * 1024);
      Buffer slice = data.slice(pos, end);
      pos = end;
      if (handler != null) {
        handler.handle(slice);
      }
    }
    if (!paused && pos >= data.length() && endHandler != null) {
      Handler<Void> h = endHandler;
      endHandler = null;
      h.handle(null);
    }
  }

  @Override
  public OneBuffer exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public OneBuffer handler(Handler<Buffer> handler) {
    this.handler = handler;
    return this;
  }

  @Override
  public OneBuffer pause() {
    paused = true;
    return this;
  }

  @Override
  public OneBuffer resume() {
    paused = false;
    if (!scheduled) {
      scheduled = true;
      vertx.runOnContext(v -> pump());
    }
    return this;
  }

  @Override
  public OneBuffer fetch(long amount) {
    return resume();
  }

  @Override
  public OneBuffer endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }
}
