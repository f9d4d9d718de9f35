package io.porthole.tunnel.mux;

import io.porthole.tunnel.mux.impl.MultiplexerImpl;
import io.porthole.tunnel.transport.FrameTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.Function;

/**
 * Multiplexes many flow-controlled {@link MuxStream}s, keep-alive and a request/reply control
 * channel over one {@link FrameTransport} (one tunnel connection).
 *
 * <p>The {@link Role#OPENER} (API side) opens streams; the {@link Role#ACCEPTOR} (sandbox side)
 * receives them through {@link #streamHandler}. Control requests and pings work both ways.
 *
 * <p><b>Threading.</b> A multiplexer lives on its transport's event-loop context: every frame is
 * processed there and every handler (stream, close, control, and those of the streams the peer
 * opened) is called there; a stream this side opens belongs to the context that opened it. Its
 * methods may be called from any thread; calls from elsewhere hop onto that context, so the state
 * is never touched concurrently. {@link #streamHandler} and {@link #controlHandler} take effect
 * immediately from any thread; install them right after {@link #create} (frames are only read from
 * the context's next turn on). Nothing here blocks.
 *
 * <p><b>Failure.</b> A protocol violation by the peer makes this side send GOAWAY with the reason
 * and close; a GOAWAY from the peer, an abrupt transport close or a dead peer close it too. Either
 * way every open stream, pending write, ping and control request fails promptly with a {@link
 * TunnelClosedException} and the {@link #closeHandler} learns the {@link CloseReason}.
 */
public interface Multiplexer {

  /** Creates and starts a multiplexer with default options over {@code transport}. */
  static Multiplexer create(FrameTransport transport, Role role) {
    return create(transport, role, new MuxOptions());
  }

  /**
   * Creates and starts a multiplexer over {@code transport}; it takes over the transport's
   * handlers.
   *
   * @throws IllegalArgumentException if the options are invalid
   */
  static Multiplexer create(FrameTransport transport, Role role, MuxOptions options) {
    return new MultiplexerImpl(transport, role, new MuxOptions(options).validate());
  }

  /** This side's role. */
  Role role();

  /** The event-loop context everything of this multiplexer runs on. */
  Context context();

  /**
   * Opens a stream (OPENER only) owned by the caller's context: see {@link #open(Buffer, Context)}.
   */
  Future<MuxStream> open(Buffer metadata);

  /**
   * Opens a stream (OPENER only). The future completes as soon as OPEN is queued; data may be
   * written right away. It fails if this is the acceptor, the tunnel is closed, the metadata is
   * larger than a frame, or {@code maxConcurrentStreams} streams are already open.
   *
   * <p>The stream belongs to {@code owner} (an event-loop context; otherwise, or when null, the
   * tunnel's own): the future, the stream's handlers and its futures all complete there, like any
   * Vert.x stream of that context.
   */
  Future<MuxStream> open(Buffer metadata, Context owner);

  /** Receives streams opened by the peer (ACCEPTOR). Without one, OPENs are refused. */
  Multiplexer streamHandler(Handler<MuxStream> handler);

  /**
   * Answers the peer's control requests. A failed future becomes an error reply: a {@link
   * ControlException} keeps its code, anything else is reported as {@code HANDLER_FAILED}.
   */
  Multiplexer controlHandler(Function<ControlRequest, Future<JsonObject>> handler);

  /**
   * Sends a control request and waits for the reply body. Fails with {@link ControlException} on an
   * error reply, {@link ControlTimeoutException} after {@code timeout}, or {@link
   * TunnelClosedException} if the tunnel closes first.
   */
  Future<JsonObject> request(String command, JsonObject body, Duration timeout);

  /** {@link #request(String, JsonObject, Duration)} with the configured default timeout. */
  Future<JsonObject> request(String command, JsonObject body);

  /** Measures one round trip with a PING. */
  Future<Duration> ping();

  /**
   * Sends GOAWAY(NO_ERROR, reason), fails all streams and closes the transport. The future
   * completes once the transport is closed. Idempotent.
   */
  Future<Void> close(String reason);

  /**
   * Called once, when the connection closes for any reason; called right away if it already has.
   */
  Multiplexer closeHandler(Handler<CloseReason> handler);

  /** Whether the connection is closed. */
  boolean isClosed();

  /** Why the connection closed, or {@code null} while it is open. */
  CloseReason closeReason();

  /** Encoded frame bytes received over the transport so far; safe from any thread. */
  long bytesReceived();

  /** Encoded frame bytes handed to the transport so far; safe from any thread. */
  long bytesSent();

  /** Streams currently open (not yet closed in both directions nor reset). */
  int activeStreams();
}
