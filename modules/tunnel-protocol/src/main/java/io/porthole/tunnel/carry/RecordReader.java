package io.porthole.tunnel.carry;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * Parses records from a byte stream (a tunnel stream) with back-pressure. BODY payloads are
 * delivered as they arrive, sliced without copying, possibly in several pieces; every other record
 * is delivered whole (at most 1 MiB). Pausing this reader pauses the underlying stream.
 *
 * <p>A new reader starts paused (so nothing is lost before its handlers are set): call {@link
 * #resume()} or pipe it. The end is delivered once everything before it was, and never while paused
 * or before an end handler is set. A failure of the underlying stream that came before the
 * exception handler was set (a stream reset while its reader was being made) is delivered when it
 * is set.
 */
public final class RecordReader implements ReadStream<Record> {

  private static final int MAX_CONTROL_PAYLOAD = 1024 * 1024;

  private final ReadStream<Buffer> in;
  private final byte[] header = new byte[Record.HEADER];
  private int headerLen;
  private Record.Type current;
  private int remaining;
  private Buffer payload;
  private Buffer leftover;
  private boolean paused = true;
  private boolean ended;
  private boolean endDelivered;
  private boolean failed;
  private Throwable failure;
  private Handler<Record> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;

  public RecordReader(ReadStream<Buffer> in) {
    this.in = in;
    in.pause();
    in.handler(this::onData);
    in.endHandler(v -> onEnd());
    in.exceptionHandler(this::fail);
  }

  private void onData(Buffer b) {
    if (failed) {
      return;
    }
    if (paused) {
      leftover = leftover == null ? b : Buffer.buffer().appendBuffer(leftover).appendBuffer(b);
      in.pause();
      return;
    }
    process(b);
  }

  private void process(Buffer b) {
    int pos = 0;
    int len = b.length();
    while (pos < len && !failed) {
      if (paused) {
        leftover = b.slice(pos, len);
        in.pause();
        return;
      }
      if (current == null) {
        int n = Math.min(Record.HEADER - headerLen, len - pos);
        b.getBytes(pos, pos + n, header, headerLen);
        headerLen += n;
        pos += n;
        if (headerLen < Record.HEADER) {
          return;
        }
        headerLen = 0;
        int rawType = header[0] & 0xff;
        int size =
            ((header[1] & 0xff) << 24)
                | ((header[2] & 0xff) << 16)
                | ((header[3] & 0xff) << 8)
                | (header[4] & 0xff);
        Record.Type type = Record.Type.of(rawType);
        if (type == null) {
          fail(new IllegalStateException("unknown record type " + rawType));
          return;
        }
        int limit = type == Record.Type.BODY ? Record.MAX_PAYLOAD : MAX_CONTROL_PAYLOAD;
        if (size < 0 || size > limit) {
          fail(new IllegalStateException("record of " + size + " bytes is too large"));
          return;
        }
        if (size == 0) {
          emit(new Record(type, Buffer.buffer()));
          continue;
        }
        current = type;
        remaining = size;
        payload = type == Record.Type.BODY ? null : Buffer.buffer(size);
        continue;
      }
      int n = Math.min(remaining, len - pos);
      Buffer piece = b.slice(pos, pos + n);
      pos += n;
      remaining -= n;
      Record.Type type = current;
      if (remaining == 0) {
        current = null;
      }
      if (type == Record.Type.BODY) {
        emit(new Record(type, piece));
      } else {
        payload.appendBuffer(piece);
        if (remaining == 0) {
          Buffer whole = payload;
          payload = null;
          emit(new Record(type, whole));
        }
      }
    }
  }

  private void emit(Record r) {
    Handler<Record> h = handler;
    if (h != null) {
      h.handle(r);
    }
  }

  private void onEnd() {
    if (failed) {
      return;
    }
    ended = true;
    maybeEnd();
  }

  private void maybeEnd() {
    if (!ended || endDelivered || failed || paused || leftover != null || endHandler == null) {
      return;
    }
    if (current != null || headerLen > 0) {
      fail(new IllegalStateException("stream ended inside a record"));
      return;
    }
    endDelivered = true;
    endHandler.handle(null);
  }

  private void fail(Throwable t) {
    if (failed) {
      return;
    }
    failed = true;
    failure = t;
    deliverFailure();
  }

  /** Once: a failure that came before the exception handler waits for it. */
  private void deliverFailure() {
    Handler<Throwable> h = exceptionHandler;
    Throwable t = failure;
    if (h != null && t != null) {
      failure = null;
      h.handle(t);
    }
  }

  @Override
  public RecordReader handler(Handler<Record> handler) {
    this.handler = handler;
    return this;
  }

  @Override
  public RecordReader endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    maybeEnd();
    return this;
  }

  @Override
  public RecordReader exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    deliverFailure();
    return this;
  }

  @Override
  public RecordReader pause() {
    paused = true;
    in.pause();
    return this;
  }

  @Override
  public RecordReader resume() {
    paused = false;
    if (leftover != null) {
      Buffer b = leftover;
      leftover = null;
      process(b);
      if (paused) {
        return this;
      }
    }
    maybeEnd();
    if (!ended) {
      in.resume();
    }
    return this;
  }

  @Override
  public RecordReader fetch(long amount) {
    return amount > 0 ? resume() : this;
  }
}
