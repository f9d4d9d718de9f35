package io.porthole.tunnel.carry;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * The BODY records of a {@link RecordReader} as a plain byte stream, so it can be piped with
 * back-pressure. Other records (TRAILERS, FAIL, ...) go to {@link #recordHandler}.
 */
public final class BodyStream implements ReadStream<Buffer> {

  private final RecordReader records;
  private Handler<Buffer> handler;
  private Handler<Record> recordHandler = r -> {};
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private Runnable onEnd = () -> {};
  private Handler<Throwable> onFailure = t -> {};

  public BodyStream(RecordReader records) {
    this.records = records;
    records.handler(this::onRecord);
    records.endHandler(
        v -> {
          onEnd.run();
          if (endHandler != null) {
            endHandler.handle(null);
          }
        });
    records.exceptionHandler(
        t -> {
          onFailure.handle(t);
          if (exceptionHandler != null) {
            exceptionHandler.handle(t);
          }
        });
  }

  /**
   * Hooks that run on the end or failure of the stream whatever handlers a consumer (a pipe) sets
   * later: how the carrier learns that trailers will not come.
   */
  BodyStream internalHooks(Runnable onEnd, Handler<Throwable> onFailure) {
    this.onEnd = onEnd;
    this.onFailure = onFailure;
    return this;
  }

  private void onRecord(Record r) {
    if (r.type() == Record.Type.BODY) {
      Handler<Buffer> h = handler;
      if (h != null) {
        h.handle(r.payload());
      }
    } else {
      recordHandler.handle(r);
    }
  }

  /** Receives every record that is not BODY. */
  public BodyStream recordHandler(Handler<Record> handler) {
    this.recordHandler = handler == null ? r -> {} : handler;
    return this;
  }

  @Override
  public BodyStream handler(Handler<Buffer> handler) {
    this.handler = handler;
    return this;
  }

  @Override
  public BodyStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  @Override
  public BodyStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public BodyStream pause() {
    records.pause();
    return this;
  }

  @Override
  public BodyStream resume() {
    records.resume();
    return this;
  }

  @Override
  public BodyStream fetch(long amount) {
    records.fetch(amount);
    return this;
  }
}
