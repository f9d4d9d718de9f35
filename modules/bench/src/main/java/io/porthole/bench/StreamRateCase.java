package io.porthole.bench;

import io.porthole.bench.TunnelLoopback.Tunnel;
import io.porthole.tunnel.mux.Multiplexer;
import io.porthole.tunnel.mux.MuxStream;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.Arrays;

/**
 * Short streams per second over one tunnel (open, write a few bytes, read the echo, both directions
 * closed) against short TCP connections per second (connect, write, read the echo, close).
 */
final class StreamRateCase implements BenchCase {

  /** OPEN metadata about the size of what the proxy sends (session, port, kind). */
  private static final Buffer METADATA =
      Buffer.buffer("{\"kind\":\"tcp\",\"session_id\":\"s-bench\",\"port\":8080}");

  private final BenchPlan plan;
  private final TunnelLoopback tunnels;
  private final TcpLoopback tcp;
  private final Buffer payload;
  private Tunnel tunnel;

  StreamRateCase(BenchPlan plan, TunnelLoopback tunnels, TcpLoopback tcp) {
    this.plan = plan;
    this.tunnels = tunnels;
    this.tcp = tcp;
    byte[] bytes = new byte[plan.echoBytes()];
    Arrays.fill(bytes, (byte) 'x');
    this.payload = Buffer.buffer(bytes);
  }

  @Override
  public String label() {
    return String.format(
        "short streams: open, %d B echo, close (%d in flight)", plan.echoBytes(), plan.inFlight());
  }

  @Override
  public Future<Void> setUp() {
    return tunnels
        .connect(stream -> stream.pipeTo(stream))
        .map(
            t -> {
              tunnel = t;
              return null;
            });
  }

  @Override
  public Future<Double> runPorthole(boolean warmUp) {
    Multiplexer opener = tunnel.opener();
    return Bounded.run(
            opener.context(),
            plan.streams(),
            plan.inFlight(),
            plan.runLimit(),
            i -> opener.open(METADATA).compose(this::echoOnce))
        .map(this::perSecond);
  }

  @Override
  public Future<Double> runBaseline(boolean warmUp) {
    return Bounded.run(
            tcp.clientContext(),
            plan.streams(),
            plan.inFlight(),
            plan.runLimit(),
            i -> tcp.connectEcho().compose(this::echoOnce))
        .map(this::perSecond);
  }

  @Override
  public String formatPorthole(double value) {
    return String.format("%,.0f streams/s", value);
  }

  @Override
  public String formatBaseline(double value) {
    return String.format("%,.0f conn/s", value);
  }

  @Override
  public Future<Void> tearDown() {
    return tunnel == null ? Future.succeededFuture() : tunnel.close();
  }

  private double perSecond(long nanos) {
    return plan.streams() / (nanos / 1e9);
  }

  /** Writes the payload and half-closes; done when the whole echo and the peer's end arrived. */
  private Future<Void> echoOnce(MuxStream stream) {
    Promise<Void> done = Promise.promise();
    int[] echoed = {0};
    stream.handler(buffer -> echoed[0] += buffer.length());
    stream.exceptionHandler(done::tryFail);
    stream.endHandler(v -> complete(done, echoed[0]));
    stream.end(payload).onFailure(done::tryFail);
    return done.future();
  }

  /** Writes the payload; done when the whole echo arrived and the socket is closed. */
  private Future<Void> echoOnce(NetSocket socket) {
    Promise<Void> done = Promise.promise();
    int[] echoed = {0};
    socket.handler(
        buffer -> {
          echoed[0] += buffer.length();
          if (echoed[0] >= payload.length()) {
            socket.close().onComplete(ar -> complete(done, echoed[0]));
          }
        });
    socket.exceptionHandler(done::tryFail);
    socket.closeHandler(v -> complete(done, echoed[0]));
    socket.write(payload).onFailure(done::tryFail);
    return done.future();
  }

  private void complete(Promise<Void> done, int echoed) {
    if (echoed == payload.length()) {
      done.tryComplete();
    } else {
      done.tryFail(
          new IllegalStateException(
              "echo returned " + echoed + " of " + payload.length() + " bytes"));
    }
  }
}
