package io.porthole.tunnel.support;

import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.FrameCodec;
import io.porthole.tunnel.protocol.FrameType;
import io.porthole.tunnel.protocol.ProtocolException;
import io.porthole.tunnel.transport.WebSocketSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A hand-driven tunnel peer over a WebSocket: sends arbitrary bytes and records the frames it
 * receives, so tests can misbehave on purpose and watch the reaction.
 */
public final class RawClient {

  private final WebSocket socket;
  private final Future<TunnelFixture.ServerSide> serverSide;
  private final FrameCodec codec;
  private final List<Frame> received = new CopyOnWriteArrayList<>();
  private final List<Integer> receivedIn = new CopyOnWriteArrayList<>();
  private final Promise<Frame> goAway = Promise.promise();
  private final Promise<Frame> firstOpen = Promise.promise();
  private final Promise<Void> closed = Promise.promise();
  private final boolean batched;
  private int messages;

  RawClient(WebSocket socket, Future<TunnelFixture.ServerSide> serverSide, int maxPayload) {
    this.socket = socket;
    this.serverSide = serverSide;
    // decode with headroom so whatever the server sends is visible to the test
    this.codec = FrameCodec.create(maxPayload);
    this.batched = WebSocketSettings.SUBPROTOCOL_BATCHED.equals(socket.subProtocol());
    socket.binaryMessageHandler(this::onMessage);
    socket.closeHandler(v -> closed.tryComplete());
  }

  public Future<Void> send(Buffer bytes) {
    return socket.writeBinaryMessage(bytes);
  }

  public Future<Void> send(Frame frame) {
    return send(codec.encode(frame));
  }

  public Future<Void> sendText(String text) {
    return socket.writeTextMessage(text);
  }

  /** The first GOAWAY the server sent. */
  public Future<Frame> goAway() {
    return goAway.future();
  }

  /** The first OPEN the server sent. */
  public Future<Frame> firstOpen() {
    return firstOpen.future();
  }

  /** Completes when the WebSocket closed. */
  public Future<Void> closed() {
    return closed.future();
  }

  public Future<TunnelFixture.ServerSide> serverSide() {
    return serverSide;
  }

  public List<Frame> received() {
    return received;
  }

  /** Whether the handshake negotiated the batched mapping. */
  public boolean batched() {
    return batched;
  }

  /** For each of {@link #received()}, the number of the WebSocket message it came in (from 1). */
  public List<Integer> receivedIn() {
    return receivedIn;
  }

  /** WebSocket messages received so far (a batch of frames counts once). */
  public int messages() {
    return messages;
  }

  private void onMessage(Buffer message) {
    messages++;
    if (!batched) {
      onFrame(message);
      return;
    }
    int at = 0;
    while (at < message.length()) {
      int end =
          message.length() - at < FrameCodec.HEADER_SIZE
              ? message.length()
              : (int)
                  Math.min(
                      message.length(),
                      at
                          + FrameCodec.HEADER_SIZE
                          + message.getUnsignedInt(at + FrameCodec.LENGTH_OFFSET));
      onFrame(message.slice(at, end));
      at = end;
    }
  }

  private void onFrame(Buffer message) {
    Frame frame;
    try {
      frame = codec.decode(message);
    } catch (ProtocolException e) {
      goAway.tryFail(new AssertionError("server sent an invalid frame: " + e.getMessage()));
      return;
    }
    received.add(frame);
    receivedIn.add(messages);
    if (frame.type() == FrameType.GOAWAY) {
      goAway.tryComplete(frame);
    } else if (frame.type() == FrameType.OPEN) {
      firstOpen.tryComplete(frame);
    }
  }
}
