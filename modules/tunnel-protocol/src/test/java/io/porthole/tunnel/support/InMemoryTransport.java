package io.porthole.tunnel.support;

import io.porthole.tunnel.transport.FrameTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory pair of {@link FrameTransport}s, each end on its own event-loop context. Frames are
 * handed over with {@code runOnContext}; the sender's write queue counts bytes not yet delivered.
 * Methods may be called from any thread, so a test can drive one end "raw".
 */
public final class InMemoryTransport implements FrameTransport {

  private static final long HIGH_WATER = 256 * 1024;

  private final Context context;
  private final AtomicLong inFlight = new AtomicLong();
  private final ArrayDeque<Buffer> held = new ArrayDeque<>();
  private InMemoryTransport peer;
  private volatile Handler<Buffer> frameHandler;
  private volatile Handler<Void> closeHandler;
  private volatile Handler<Void> drainHandler;
  private volatile boolean closed;
  private volatile boolean full;

  private InMemoryTransport(Context context) {
    this.context = context;
  }

  /** Two connected ends, each on its own new event-loop context. */
  public static Future<InMemoryTransport[]> pair(Vertx vertx) {
    return Contexts.newEventLoop(vertx)
        .compose(
            first ->
                Contexts.newEventLoop(vertx)
                    .map(
                        second -> {
                          InMemoryTransport a = new InMemoryTransport(first);
                          InMemoryTransport b = new InMemoryTransport(second);
                          a.peer = b;
                          b.peer = a;
                          return new InMemoryTransport[] {a, b};
                        }));
  }

  @Override
  public Context context() {
    return context;
  }

  @Override
  public FrameTransport frameHandler(Handler<Buffer> handler) {
    context.runOnContext(
        v -> {
          frameHandler = handler;
          Buffer frame;
          while (handler != null && frameHandler == handler && (frame = held.poll()) != null) {
            handler.handle(frame);
          }
        });
    return this;
  }

  @Override
  public FrameTransport closeHandler(Handler<Void> handler) {
    closeHandler = handler;
    return this;
  }

  @Override
  public FrameTransport exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public Future<Void> send(Buffer frame) {
    if (closed) {
      return Future.failedFuture("in-memory transport closed");
    }
    long size = frame.length();
    if (inFlight.addAndGet(size) >= HIGH_WATER) {
      full = true;
    }
    Promise<Void> promise = Promise.promise();
    peer.context.runOnContext(
        v -> {
          peer.receive(frame);
          context.runOnContext(w -> delivered(size, promise));
        });
    return promise.future();
  }

  @Override
  public boolean writeQueueFull() {
    return full;
  }

  @Override
  public FrameTransport drainHandler(Handler<Void> handler) {
    drainHandler = handler;
    return this;
  }

  @Override
  public Future<Void> close() {
    context.runOnContext(v -> closeLocally());
    peer.context.runOnContext(v -> peer.closeLocally());
    return Future.succeededFuture();
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  private void receive(Buffer frame) {
    if (closed) {
      return;
    }
    Handler<Buffer> handler = frameHandler;
    if (handler == null || !held.isEmpty()) {
      held.add(frame);
    } else {
      handler.handle(frame);
    }
  }

  private void delivered(long size, Promise<Void> promise) {
    promise.complete();
    if (inFlight.addAndGet(-size) < HIGH_WATER / 2 && full) {
      full = false;
      Handler<Void> handler = drainHandler;
      if (handler != null) {
        handler.handle(null);
      }
    }
  }

  private void closeLocally() {
    if (closed) {
      return;
    }
    closed = true;
    Handler<Void> handler = closeHandler;
    if (handler != null) {
      handler.handle(null);
    }
  }
}
