package io.porthole.tunnel.mux.impl;

import io.porthole.tunnel.mux.MuxOptions;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;

/**
 * The receiving half of a stream as the application sees it: bytes received but not yet delivered,
 * the application's demand (pause/resume/fetch), and delivery of data and end. It is confined to
 * the stream's owner context; the tunnel's loop checks the peer's credit ({@link
 * MuxStreamImpl#onData}) and hands each accepted payload over.
 *
 * <p>Bytes buffered here never exceed the window, because the loop only accepts DATA within the
 * credit it granted, and credit goes back to the peer only for bytes delivered to the application:
 * in one WINDOW_UPDATE once at least half the window was delivered. Data and end wait for their
 * handlers, so a handler set late still sees everything.
 */
final class ReadHalf {

  private final MuxStreamImpl stream;
  private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
  private final int window;
  private long unreturned;
  private long demand = Long.MAX_VALUE;
  private volatile long bufferedBytes;
  private Handler<Buffer> dataHandler;
  private Handler<Void> endHandler;
  private boolean ended;
  private boolean endDelivered;
  private boolean delivering;
  private boolean failed;

  ReadHalf(MuxStreamImpl stream, int window) {
    this.stream = stream;
    this.window = window;
  }

  /** Credit beyond the protocol's initial window, granted right after the stream opens. */
  int initialExtraCredit() {
    return window - MuxOptions.PROTOCOL_INITIAL_WINDOW;
  }

  int window() {
    return window;
  }

  /** A DATA payload the loop accepted within the credit. */
  void receive(Buffer data) {
    if (failed || data.length() == 0) {
      return;
    }
    queue.add(data);
    bufferedBytes += data.length();
    deliver();
  }

  /** The peer's HALF_CLOSE. */
  void end() {
    ended = true;
    deliver();
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
      unreturned = 0;
      stream.returnCredit(increment);
    }
  }
}
