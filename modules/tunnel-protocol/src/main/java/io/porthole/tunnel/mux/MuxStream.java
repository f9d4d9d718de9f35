package io.porthole.tunnel.mux;

import io.porthole.tunnel.protocol.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/**
 * One full-duplex, flow-controlled stream of a {@link Multiplexer}. It is both a {@link ReadStream}
 * and a {@link WriteStream}, so {@code pipeTo} works with back-pressure either way.
 *
 * <p><b>Reading.</b> Bytes are delivered while the stream is not paused and a data handler is set;
 * otherwise they are buffered, never more than the window granted to the peer. Credit is returned
 * to the peer (WINDOW_UPDATE) as the application consumes. The end handler runs once all data was
 * delivered after the peer half-closed. A late-set handler still receives what was buffered, the
 * end, or the failure.
 *
 * <p><b>Writing.</b> {@link #write} never blocks: data beyond the peer's window is queued and
 * {@link #writeQueueFull()} turns true past {@link #setWriteQueueMaxSize}; the drain handler runs
 * once the queue is half empty again. A write's future completes when its last byte was handed to
 * the transport, and fails if the stream is reset or the tunnel dies first. {@link #end()} sends
 * HALF_CLOSE after the queued data.
 *
 * <p><b>Failure.</b> A RESET (either side) or the death of the tunnel fails the stream: the
 * exception handler receives a {@link StreamResetException} or {@link TunnelClosedException},
 * pending writes fail, and no end is delivered.
 *
 * <p><b>Threading.</b> A stream belongs to a context: the one that opened it ({@link
 * Multiplexer#open}), or the tunnel's own for a stream the peer opened. All its handlers run there
 * and the futures it returns complete there. Methods may be called from any thread; calls from
 * elsewhere are moved onto the right context, in order.
 */
public interface MuxStream extends ReadStream<Buffer>, WriteStream<Buffer> {

  /** The stream id (1..2^31-1), allocated by the opener. */
  int id();

  /** The OPEN payload: opaque metadata describing what the stream connects to. */
  Buffer metadata();

  @Override
  MuxStream exceptionHandler(Handler<Throwable> handler);

  @Override
  MuxStream handler(Handler<Buffer> handler);

  @Override
  MuxStream pause();

  @Override
  MuxStream resume();

  @Override
  MuxStream fetch(long amount);

  @Override
  MuxStream endHandler(Handler<Void> endHandler);

  @Override
  MuxStream setWriteQueueMaxSize(int maxSize);

  @Override
  MuxStream drainHandler(Handler<Void> handler);

  /** Aborts the stream in both directions with a RESET frame carrying {@code code}. */
  Future<Void> reset(int code, String reason);

  /** Aborts the stream with {@link ErrorCode#CANCEL}. */
  default Future<Void> reset() {
    return reset(ErrorCode.CANCEL.code(), "cancelled");
  }

  /** Total payload bytes received from the peer. */
  long bytesReceived();

  /** Total payload bytes handed to the transport. */
  long bytesSent();

  /** Received bytes buffered here, not yet delivered to the handler (bounded by the window). */
  long bufferedInboundBytes();

  /** Bytes written by the application and not yet handed to the transport. */
  long queuedOutboundBytes();
}
