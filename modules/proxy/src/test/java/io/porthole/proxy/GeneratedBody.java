package io.porthole.proxy;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.zip.CRC32;

/**
 * {@code total} deterministic bytes produced on the fly in 64 KiB chunks (never held whole),
 * honouring pause/resume/fetch, with a CRC32 of what was emitted. Used from {@code context}.
 */
final class GeneratedBody implements ReadStream<Buffer> {

  static final int CHUNK = 64 * 1024;
  private static final int PATTERN_LENGTH = 65_537;
  private static final byte[] PATTERN = new byte[PATTERN_LENGTH + CHUNK];
  private static final int BATCH = 16;

  static {
    long x = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < PATTERN.length; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      PATTERN[i] = (byte) x;
    }
  }

  private final Context context;
  private final long total;
  private final CRC32 crc = new CRC32();
  private long emitted;
  private long chunks;
  private long demand = Long.MAX_VALUE;
  private boolean scheduled;
  private boolean ended;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;

  GeneratedBody(Context context, long total) {
    this.context = context;
    this.total = total;
  }

  long checksum() {
    return crc.getValue();
  }

  long emitted() {
    return emitted;
  }

  @Override
  public GeneratedBody exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public GeneratedBody handler(Handler<Buffer> handler) {
    this.handler = handler;
    schedule();
    return this;
  }

  @Override
  public GeneratedBody pause() {
    demand = 0;
    return this;
  }

  @Override
  public GeneratedBody resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public GeneratedBody fetch(long amount) {
    demand = demand > Long.MAX_VALUE - amount ? Long.MAX_VALUE : demand + amount;
    schedule();
    return this;
  }

  @Override
  public GeneratedBody endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  private void schedule() {
    if (!scheduled && !ended) {
      scheduled = true;
      context.runOnContext(v -> emitBatch());
    }
  }

  private void emitBatch() {
    scheduled = false;
    for (int i = 0; i < BATCH && demand > 0 && handler != null && emitted < total; i++) {
      int size = (int) Math.min(CHUNK, total - emitted);
      int offset = (int) ((chunks++ * 7919L) % PATTERN_LENGTH);
      byte[] bytes = new byte[size];
      System.arraycopy(PATTERN, offset, bytes, 0, size);
      crc.update(bytes);
      emitted += size;
      if (demand != Long.MAX_VALUE) {
        demand--;
      }
      handler.handle(Buffer.buffer(bytes));
    }
    if (emitted == total && !ended) {
      ended = true;
      if (endHandler != null) {
        endHandler.handle(null);
      }
    } else if (demand > 0 && handler != null) {
      schedule();
    }
  }
}
