package io.porthole.tunnel.mux.impl;

import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.ProtocolException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;

/**
 * The receiving half of a stream: bytes received but not yet delivered, the application's demand
 * (pause/resume/fetch), the credit the peer still has, and delivery of data and end.
 *
 * <p>Invariant: {@code buffered + unreturned + credit == window}, so buffered bytes never exceed
 * the window. Consumed credit goes back to the peer in one WINDOW_UPDATE once at least half the
 * window was delivered to the application. Data and end wait for their handlers, so a handler set
 * late still sees everything.
 */
final class ReadHalf {

  private final MuxStreamImpl stream;
  private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
  private final int window;
  private long credit;
  private long unreturned;
  private long demand = Long.MAX_VALUE;
  private volatile long bufferedBytes;
  private volatile long receivedBytes;
  private Handler<Buffer> dataHandler;
  private Handler<Void> endHandler;
  private boolean ended;
  private boolean endDelivered;
  private boolean delivering;
  private boolean failed;

  ReadHalf(MuxStreamImpl stream, int window) {
    this.stream = stream;
    this.window = window;
    this.credit = window;
  }

  /** Credit beyond the protocol's initial window, granted right after the stream opens. */
  int initialExtraCredit() {
    return window - MuxOptions.PROTOCOL_INITIAL_WINDOW;
  }

  /** Accepts a DATA payload, enforcing the half-close and the window the peer was granted. */
  void receive(Buffer data) throws ProtocolException {
    if (ended) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR, "DATA on stream " + stream.id() + " after its HALF_CLOSE");
    }
    int length = data.length();
    if (length > credit) {
      throw new ProtocolException(
          ErrorCode.FLOW_CONTROL_ERROR,
          "stream "
              + stream.id()
              + " received "
              + length
              + " bytes of DATA with only "
              + credit
              + " bytes of window left");
    }
    credit -= length;
    receivedBytes += length;
    if (length > 0) {
      queue.add(data);
      bufferedBytes += length;
      deliver();
    }
  }

  /** The peer's HALF_CLOSE. */
  void end() throws ProtocolException {
    if (ended) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR, "duplicate HALF_CLOSE on stream " + stream.id());
    }
    ended = true;
    deliver();
  }

  boolean ended() {
    return ended;
  }

  void handler(Handler<Buffer> handler) {
    dataHandler = handler;
    deliver();
  }

  void endHandler(Handler<Void> handler) {
    endHandler = handler;
    deliver();
  }

  void pause() {
    demand = 0;
  }

  void fetch(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("fetch amount must be >= 0, was " + amount);
    }
    demand = demand > Long.MAX_VALUE - amount ? Long.MAX_VALUE : demand + amount;
    deliver();
  }

  /** Drops everything buffered; nothing more is delivered. */
  void fail() {
    failed = true;
    queue.clear();
    bufferedBytes = 0;
  }

  long bufferedBytes() {
    return bufferedBytes;
  }

  long receivedBytes() {
    return receivedBytes;
  }

  /** Delivers buffered data as demand allows, then the end once everything was delivered. */
  private void deliver() {
    if (delivering) {
      // re-entered from a handler: the outer loop picks up the change
      return;
    }
    delivering = true;
    try {
      while (!failed) {
        Handler<Buffer> handler = dataHandler;
        Buffer chunk = handler != null && demand > 0 ? queue.poll() : null;
        if (chunk != null) {
          bufferedBytes -= chunk.length();
          if (demand != Long.MAX_VALUE) {
            demand--;
          }
          returnCredit(chunk.length());
          stream.invoke(handler, chunk);
          continue;
        }
        if (ended && !endDelivered && queue.isEmpty() && endHandler != null) {
          endDelivered = true;
          stream.invoke(endHandler, null);
        }
        break;
      }
    } finally {
      delivering = false;
    }
  }

  private void returnCredit(int consumed) {
    unreturned += consumed;
    if (!ended && unreturned >= window / 2) {
      int increment = (int) unreturned;
      credit += increment;
      unreturned = 0;
      stream.grantCredit(increment);
    }
  }
}
