package io.porthole.tunnel.mux.impl;

import io.porthole.tunnel.mux.CloseReason;
import io.porthole.tunnel.mux.CloseReason.Origin;
import io.porthole.tunnel.mux.ControlRequest;
import io.porthole.tunnel.mux.Multiplexer;
import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.mux.MuxStream;
import io.porthole.tunnel.mux.Role;
import io.porthole.tunnel.mux.TunnelClosedException;
import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.FrameCodec;
import io.porthole.tunnel.protocol.ProtocolException;
import io.porthole.tunnel.transport.FrameTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection: stream table, stream id rules, inbound frame dispatch and the close sequence.
 * Flow-controlled sending lives in {@link FrameWriter}, streams in {@link MuxStreamImpl}, PINGs in
 * {@link KeepAlive} and CONTROL in {@link ControlChannel}. Everything runs on the transport's event
 * loop ({@link Loop}).
 */
public final class MultiplexerImpl implements Multiplexer {

  private static final Logger log = LoggerFactory.getLogger(MultiplexerImpl.class);

  private final FrameTransport transport;
  private final Role role;
  private final MuxOptions options;
  private final Loop loop;
  private final FrameCodec codec;
  private final FrameWriter writer;
  private final KeepAlive keepAlive;
  private final ControlChannel control;
  private final StreamTable streams;
  private final Promise<Void> transportClosed = Promise.promise();
  private volatile CloseReason closeReason;
  private volatile long bytesReceived;
  private TunnelClosedException closedException;
  private volatile Handler<MuxStream> streamHandler;
  private Handler<CloseReason> closeHandler;

  public MultiplexerImpl(FrameTransport transport, Role role, MuxOptions options) {
    this.transport = transport;
    this.role = role;
    this.options = options;
    this.loop = new Loop(transport.context());
    this.codec = FrameCodec.create(options.getMaxFramePayload());
    this.writer = new FrameWriter(transport, codec);
    this.keepAlive = new KeepAlive(loop, writer, options, this::deadPeer);
    this.control = new ControlChannel(loop, writer, options.getMaxFramePayload());
    this.streams = new StreamTable(role, options, loop, writer);
    // start on the context itself, so the keep-alive timer belongs to it
    transport.context().runOnContext(v -> start());
  }

  private void start() {
    if (closeReason != null) {
      return;
    }
    transport.exceptionHandler(this::onTransportException);
    transport.closeHandler(v -> onTransportClosed());
    transport.drainHandler(v -> writer.flush());
    keepAlive.start();
    if (transport.isClosed()) {
      onTransportClosed();
      return;
    }
    // read only from the next turn: handlers the creator installed right after create() from
    // another thread (their hops queued behind this task) are in place before the first frame
    transport.context().runOnContext(v -> startReading());
  }

  private void startReading() {
    if (closeReason == null) {
      transport.frameHandler(this::onFrame);
    }
  }

  // ---- inbound ----

  private void onFrame(Buffer buffer) {
    if (closeReason != null) {
      return;
    }
    bytesReceived += buffer.length();
    try {
      Frame frame = codec.decode(buffer);
      keepAlive.frameReceived();
      dispatch(frame);
    } catch (ProtocolException e) {
      protocolError(e);
    }
  }

  private void dispatch(Frame frame) throws ProtocolException {
    switch (frame.type()) {
      case OPEN -> onOpen(frame);
      case PING -> keepAlive.onPing(frame);
      case CONTROL -> control.onFrame(frame);
      case GOAWAY ->
          terminate(new CloseReason(Origin.REMOTE, frame.errorCode(), frame.reason()), null);
      default -> {
        MuxStreamImpl stream = streams.lookup(frame);
        if (stream == null) {
          return;
        }
        switch (frame.type()) {
          case DATA -> stream.onData(frame.payload());
          case HALF_CLOSE -> stream.onHalfClose();
          case RESET -> stream.onReset(frame.errorCode(), frame.reason());
          case WINDOW_UPDATE -> stream.onWindowUpdate(frame.windowIncrement());
          default -> throw new IllegalStateException("unhandled frame type " + frame.type());
        }
      }
    }
  }

  private void onOpen(Frame frame) throws ProtocolException {
    int id = frame.streamId();
    if (role != Role.ACCEPTOR) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR, "OPEN for stream " + id + " sent to the opener side");
    }
    Handler<MuxStream> handler = streamHandler;
    MuxStreamImpl stream = streams.acceptRemote(id, frame.payload(), handler != null);
    if (stream == null) {
      String why =
          handler == null
              ? "no stream handler installed"
              : "too many concurrent streams (" + options.getMaxConcurrentStreams() + ")";
      writer.send(Frame.reset(id, ErrorCode.REFUSED_STREAM.code(), why));
      return;
    }
    stream.start();
    try {
      handler.handle(stream);
    } catch (RuntimeException e) {
      log.error("stream handler failed for stream {}; resetting it", id, e);
      stream.reset(ErrorCode.INTERNAL_ERROR.code(), "stream handler failed");
    }
  }

  // ---- close sequence ----

  private void onTransportException(Throwable error) {
    if (error instanceof ProtocolException e) {
      protocolError(e);
    } else {
      String message = "transport failed without GOAWAY: " + error;
      terminate(new CloseReason(Origin.TRANSPORT, ErrorCode.TRANSPORT_LOST.code(), message), null);
    }
  }

  /** The peer broke the protocol: tell it why with GOAWAY, then close. */
  private void protocolError(ProtocolException e) {
    int code = e.code().code();
    terminate(
        new CloseReason(Origin.LOCAL, code, e.getMessage()), Frame.goAway(code, e.getMessage()));
  }

  private void onTransportClosed() {
    transportClosed.tryComplete();
    terminate(
        new CloseReason(
            Origin.TRANSPORT, ErrorCode.TRANSPORT_LOST.code(), "transport closed without GOAWAY"),
        null);
  }

  private void deadPeer(String why) {
    int code = ErrorCode.DEAD_PEER.code();
    terminate(new CloseReason(Origin.LOCAL, code, why), Frame.goAway(code, why));
  }

  /** Closes the connection once: optional GOAWAY, then fail everything, then the transport. */
  private void terminate(CloseReason reason, Frame goAway) {
    if (closeReason != null) {
      return;
    }
    closeReason = reason;
    if (reason.code() == ErrorCode.NO_ERROR.code()) {
      log.info("tunnel connection closed: {}", reason);
    } else {
      log.warn("tunnel connection closed: {}", reason);
    }
    TunnelClosedException cause = new TunnelClosedException(reason);
    closedException = cause;
    if (goAway != null) {
      writer.send(goAway);
    }
    writer.shutdown(cause);
    keepAlive.stop(cause);
    control.failAll(cause);
    for (MuxStreamImpl stream : streams.removeAll()) {
      stream.fail(cause);
    }
    transport.close().onComplete(ar -> transportClosed.tryComplete());
    notifyClosed(closeHandler, reason);
  }

  private void notifyClosed(Handler<CloseReason> handler, CloseReason reason) {
    if (handler == null) {
      return;
    }
    try {
      handler.handle(reason);
    } catch (RuntimeException e) {
      log.error("tunnel close handler failed", e);
    }
  }

  // ---- Multiplexer ----

  @Override
  public Role role() {
    return role;
  }

  @Override
  public Context context() {
    return loop.context();
  }

  @Override
  public Future<MuxStream> open(Buffer metadata) {
    return open(metadata, Vertx.currentContext());
  }

  @Override
  public Future<MuxStream> open(Buffer metadata, Context ownerContext) {
    Loop owner = Loop.ownerOf(ownerContext, loop);
    Future<MuxStream> opened = openOnLoop(metadata, owner);
    return owner == loop ? opened : owner.relay(opened);
  }

  private Future<MuxStream> openOnLoop(Buffer metadata, Loop owner) {
    return loop.call(
        () -> {
          Buffer meta = metadata == null ? Buffer.buffer() : metadata;
          if (role != Role.OPENER) {
            return Future.failedFuture(new IllegalStateException("only the OPENER opens streams"));
          }
          if (closedException != null) {
            return Future.failedFuture(closedException);
          }
          if (meta.length() > options.getMaxFramePayload()) {
            return Future.failedFuture(
                new IllegalArgumentException("OPEN metadata larger than one frame"));
          }
          MuxStreamImpl stream;
          try {
            stream = streams.openLocal(meta, owner);
          } catch (IllegalStateException e) {
            return Future.failedFuture(e);
          }
          int id = stream.id();
          writer.send(Frame.open(id, meta));
          stream.start();
          return Future.succeededFuture(stream);
        });
  }

  @Override
  public Multiplexer streamHandler(Handler<MuxStream> handler) {
    // effective at once from any thread: frames read right after this call already see it
    streamHandler = handler;
    return this;
  }

  @Override
  public Multiplexer controlHandler(Function<ControlRequest, Future<JsonObject>> handler) {
    control.handler(handler);
    return this;
  }

  @Override
  public Future<JsonObject> request(String command, JsonObject body, Duration timeout) {
    return loop.call(() -> control.request(command, body, timeout));
  }

  @Override
  public Future<JsonObject> request(String command, JsonObject body) {
    return request(command, body, options.getControlRequestTimeout());
  }

  @Override
  public Future<Duration> ping() {
    return loop.call(keepAlive::ping);
  }

  @Override
  public Future<Void> close(String reason) {
    return loop.call(
        () -> {
          int code = ErrorCode.NO_ERROR.code();
          String text = reason == null ? "closed" : reason;
          terminate(new CloseReason(Origin.LOCAL, code, text), Frame.goAway(code, text));
          return transportClosed.future();
        });
  }

  @Override
  public Multiplexer closeHandler(Handler<CloseReason> handler) {
    loop.run(
        () -> {
          closeHandler = handler;
          if (closeReason != null) {
            notifyClosed(handler, closeReason);
          }
        });
    return this;
  }

  @Override
  public boolean isClosed() {
    return closeReason != null;
  }

  @Override
  public CloseReason closeReason() {
    return closeReason;
  }

  @Override
  public long bytesReceived() {
    return bytesReceived;
  }

  @Override
  public long bytesSent() {
    return writer.bytesSent();
  }

  @Override
  public int activeStreams() {
    return streams.size();
  }

  @Override
  public String toString() {
    return "Multiplexer{" + role + ", streams=" + streams.size() + ", closed=" + closeReason + "}";
  }
}
