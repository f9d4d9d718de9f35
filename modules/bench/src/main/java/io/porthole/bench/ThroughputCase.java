package io.porthole.bench;

import io.porthole.bench.Sink.Received;
import io.porthole.bench.TunnelLoopback.Tunnel;
import io.porthole.tunnel.mux.Multiplexer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * MiB/s through one stream (API side to sandbox side, the receiver only counts) against MiB/s
 * through one direct TCP connection to a counting server. The clock runs from the first write to
 * the moment the receiver sees the end, so every byte has arrived.
 */
final class ThroughputCase implements BenchCase {

  private static final Buffer METADATA =
      Buffer.buffer("{\"kind\":\"tcp\",\"session_id\":\"s-bench\",\"port\":9000}");
  private static final double MIB = 1024.0 * 1024.0;

  private final BenchPlan plan;
  private final TunnelLoopback tunnels;
  private final TcpLoopback tcp;
  private final Sink tunnelSink = new Sink();
  private final Buffer chunk;
  private Tunnel tunnel;

  ThroughputCase(BenchPlan plan, TunnelLoopback tunnels, TcpLoopback tcp) {
    this.plan = plan;
    this.tunnels = tunnels;
    this.tcp = tcp;
    byte[] bytes = new byte[plan.chunkBytes()];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 31 + 7);
    }
    this.chunk = Buffer.buffer(bytes);
  }

  @Override
  public String label() {
    return String.format(
        "one stream: %,d MiB in %d KiB writes",
        plan.bulkBytes() / (1024 * 1024), plan.chunkBytes() / 1024);
  }

  @Override
  public Future<Void> setUp() {
    // the sandbox side counts each stream, then closes its own direction so the stream is freed
    return tunnels
        .connect(stream -> tunnelSink.accept(stream, stream::end))
        .map(
            t -> {
              tunnel = t;
              return null;
            });
  }

  @Override
  public Future<Double> runPorthole(boolean warmUp) {
    Multiplexer opener = tunnel.opener();
    Future<Received> received = tunnelSink.next();
    return EventLoops.call(
        opener.context(),
        () ->
            opener
                .open(METADATA)
                .compose(stream -> transfer(stream, received).onFailure(e -> stream.reset())));
  }

  @Override
  public Future<Double> runBaseline(boolean warmUp) {
    Future<Received> received = tcp.sink().next();
    return EventLoops.call(
        tcp.clientContext(),
        () ->
            tcp.connectSink()
                .compose(socket -> transfer(socket, received).onFailure(e -> socket.close())));
  }

  @Override
  public String formatPorthole(double value) {
    return String.format("%,.0f MiB/s", value);
  }

  @Override
  public String formatBaseline(double value) {
    return formatPorthole(value);
  }

  @Override
  public Future<Void> tearDown() {
    return tunnel == null ? Future.succeededFuture() : tunnel.close();
  }

  private Future<Double> transfer(WriteStream<Buffer> out, Future<Received> received) {
    long total = plan.bulkBytes();
    long started = System.nanoTime();
    return Pump.send(out, chunk, total)
        .compose(v -> received)
        .timeout(plan.runLimit().toMillis(), TimeUnit.MILLISECONDS)
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof TimeoutException
                        ? new TimeoutException(
                            "incomplete: the transfer did not end within the "
                                + BenchPlan.describe(plan.runLimit())
                                + " limit")
                        : e))
        .compose(
            got -> {
              if (got.bytes() != total) {
                return Future.failedFuture(
                    new IllegalStateException(
                        "receiver got " + got.bytes() + " of " + total + " bytes"));
              }
              return Future.succeededFuture(total / MIB / ((got.endNanos() - started) / 1e9));
            });
  }
}
