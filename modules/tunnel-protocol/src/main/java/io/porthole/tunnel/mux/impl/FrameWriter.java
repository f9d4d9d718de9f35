package io.porthole.tunnel.mux.impl;

import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.FrameCodec;
import io.porthole.tunnel.transport.FrameTransport;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;

/**
 * The outbound side of a connection. Small control frames (OPEN, WINDOW_UPDATE, RESET, PING,
 * GOAWAY, CONTROL, HALF_CLOSE) go to the transport at once; DATA is pulled from streams that have
 * both queued bytes and send credit, one frame per stream in round-robin order, only while the
 * transport's write queue is not full. A stream that has exhausted the peer's window is simply not
 * in the ready queue, so it never holds up its neighbours.
 */
final class FrameWriter {

  private final FrameTransport transport;
  private final FrameCodec codec;
  private final ArrayDeque<MuxStreamImpl> ready = new ArrayDeque<>();
  private Throwable shutdownCause;
  private boolean flushing;
  private volatile long bytesSent;

  FrameWriter(FrameTransport transport, FrameCodec codec) {
    this.transport = transport;
    this.codec = codec;
  }

  /** Sends a control frame right away, bypassing the DATA back-pressure. */
  Future<Void> send(Frame frame) {
    if (shutdownCause != null) {
      return Future.failedFuture(shutdownCause);
    }
    Buffer encoded = codec.encode(frame);
    bytesSent += encoded.length();
    return transport.send(encoded);
  }

  /** Sends one DATA frame of {@code length} bytes of {@code source} from {@code offset}. */
  Future<Void> sendData(int streamId, Buffer source, int offset, int length) {
    if (shutdownCause != null) {
      return Future.failedFuture(shutdownCause);
    }
    Buffer encoded = codec.encodeData(streamId, source, offset, length);
    bytesSent += encoded.length();
    return transport.send(encoded);
  }

  /** Encoded bytes handed to the transport; any thread. */
  long bytesSent() {
    return bytesSent;
  }

  /** Queues {@code stream} for DATA if it can send, then flushes. */
  void schedule(MuxStreamImpl stream) {
    enqueue(stream);
    flush();
  }

  /** Sends DATA frames while the transport accepts them and some stream is ready. */
  void flush() {
    if (flushing || shutdownCause != null) {
      return;
    }
    flushing = true;
    try {
      MuxStreamImpl stream;
      while (shutdownCause == null
          && !transport.writeQueueFull()
          && (stream = ready.poll()) != null) {
        stream.scheduled = false;
        // may run application code (write futures, drain handler) that schedules more work
        stream.writeNextFrame();
        enqueue(stream);
      }
    } finally {
      flushing = false;
    }
  }

  /** Stops all sending: later sends fail with {@code cause}. */
  void shutdown(Throwable cause) {
    shutdownCause = cause;
    for (MuxStreamImpl stream : ready) {
      stream.scheduled = false;
    }
    ready.clear();
  }

  private void enqueue(MuxStreamImpl stream) {
    if (!stream.scheduled && shutdownCause == null && stream.canSendData()) {
      stream.scheduled = true;
      ready.add(stream);
    }
  }
}
