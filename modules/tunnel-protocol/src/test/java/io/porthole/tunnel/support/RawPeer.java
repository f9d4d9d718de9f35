package io.porthole.tunnel.support;

import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.FrameCodec;
import io.porthole.tunnel.protocol.FrameType;
import io.porthole.tunnel.protocol.ProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** A hand-driven peer on one end of an {@link InMemoryTransport} pair. */
public final class RawPeer {

  private final Vertx vertx;
  private final InMemoryTransport transport;
  private final FrameCodec codec = FrameCodec.create();
  private final List<Frame> received = new CopyOnWriteArrayList<>();

  public RawPeer(Vertx vertx, InMemoryTransport transport) {
    this.vertx = vertx;
    this.transport = transport;
    transport.frameHandler(this::onFrame);
  }

  public Future<Void> send(Frame frame) {
    return transport.send(codec.encode(frame));
  }

  public List<Frame> received() {
    return received;
  }

  /** The first received frame matching {@code match}, waiting up to 5 s. */
  public Future<Frame> await(String description, Predicate<Frame> match) {
    return Conditions.eventually(
            vertx, description, Duration.ofSeconds(5), () -> received.stream().anyMatch(match))
        .map(v -> received.stream().filter(match).findFirst().orElseThrow());
  }

  /** Sends a PING and waits for its ACK: everything sent before it was processed. */
  public Future<Frame> roundTrip(long opaque) {
    return send(Frame.ping(opaque))
        .compose(
            v ->
                await(
                    "PING ACK " + opaque,
                    f -> f.type() == FrameType.PING && f.isAck() && f.pingData() == opaque));
  }

  /** Total DATA payload bytes received on {@code streamId}. */
  public long dataBytes(int streamId) {
    return received.stream()
        .filter(f -> f.type() == FrameType.DATA && f.streamId() == streamId)
        .mapToLong(f -> f.payload().length())
        .sum();
  }

  private void onFrame(Buffer buffer) {
    try {
      received.add(codec.decode(buffer));
    } catch (ProtocolException e) {
      throw new AssertionError("multiplexer sent an invalid frame", e);
    }
  }
}
