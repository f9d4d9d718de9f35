package io.porthole.tunnel.support;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.zip.CRC32;

/**
 * A {@link ReadStream} producing {@code total} deterministic bytes on the fly in chunks, honouring
 * pause/resume/fetch, and keeping a CRC32 of what it emitted. It must be used from {@code context}
 * (e.g. piped into a tunnel stream from the tunnel's context).
 */
public final class GeneratedSource implements ReadStream<Buffer> {

  private static final int PATTERN_LENGTH = 65_537;
  private static final byte[] PATTERN = new byte[PATTERN_LENGTH + 1024 * 1024];
  private static final int BATCH = 32;

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
  private final int chunkSize;
  private final CRC32 crc = new CRC32();
  private long emitted;
  private long chunks;
  private long demand = Long.MAX_VALUE;
  private boolean scheduled;
  private boolean ended;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;

  public GeneratedSource(Context context, long total, int chunkSize) {
    if (chunkSize > 1024 * 1024) {
      throw new IllegalArgumentException("chunk size up to 1 MiB");
    }
    this.context = context;
    this.total = total;
    this.chunkSize = chunkSize;
  }

  /** CRC32 of everything emitted so far. */
  public long checksum() {
    return crc.getValue();
  }

  /** Bytes emitted so far. */
  public long emitted() {
    return emitted;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    this.handler = handler;
    schedule();
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    demand = 0;
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    demand = demand > Long.MAX_VALUE - amount ? Long.MAX_VALUE : demand + amount;
    schedule();
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
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
      int size = (int) Math.min(chunkSize, total - emitted);
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
