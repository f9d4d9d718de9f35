package io.porthole.bench;

import io.porthole.bench.TunnelLoopback.Tunnel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Retained heap per idle tunnel (a WebSocket connection with a multiplexer on both ends, after one
 * PING round trip) against retained heap per idle direct TCP connection (both sockets, after a
 * one-byte echo). Both ends live in this JVM, so each figure covers both ends of one connection.
 */
final class IdleHeapCase implements BenchCase {

  private static final int WARM_UP_ROUNDS = 2;
  private static final long SETTLE_DELAY_MILLIS = 100;
  private static final int MAX_SETTLE_READINGS = 20;
  private static final long SETTLED_BYTES = 64 * 1024;
  private static final Duration CLOSE_LIMIT = Duration.ofSeconds(30);
  private static final Buffer ONE_BYTE = Buffer.buffer(new byte[] {1});

  private final BenchPlan plan;
  private final Vertx vertx;
  private final TunnelLoopback tunnels;
  private final TcpLoopback tcp;

  IdleHeapCase(BenchPlan plan, Vertx vertx, TunnelLoopback tunnels, TcpLoopback tcp) {
    this.plan = plan;
    this.vertx = vertx;
    this.tunnels = tunnels;
    this.tcp = tcp;
  }

  @Override
  public String label() {
    return String.format("idle connection: retained heap (%,d open)", plan.idleConnections());
  }

  /**
   * Loading the classes and filling the pools takes a round or two; the JIT matters little here.
   */
  @Override
  public int maxWarmUpRounds(BenchPlan plan) {
    return Math.min(WARM_UP_ROUNDS, plan.maxWarmUpRounds());
  }

  @Override
  public Future<Void> setUp() {
    return Future.succeededFuture();
  }

  @Override
  public Future<Double> runPorthole(boolean warmUp) {
    List<Tunnel> open = Collections.synchronizedList(new ArrayList<>());
    return perConnection(
        warmUp,
        // the sandbox side refuses streams: none are opened, the tunnels stay idle
        () -> tunnels.connect(stream -> stream.reset()).map(open::add),
        () -> Future.join(open.stream().map(Tunnel::close).toList()).mapEmpty());
  }

  @Override
  public Future<Double> runBaseline(boolean warmUp) {
    List<NetSocket> open = Collections.synchronizedList(new ArrayList<>());
    return perConnection(
        warmUp,
        () -> tcp.connectEcho().compose(this::oneByteEcho).map(open::add),
        () ->
            Future.join(open.stream().map(NetSocket::close).toList())
                .compose(
                    v ->
                        EventLoops.until(
                            vertx,
                            "the echo server to see every idle connection close",
                            CLOSE_LIMIT,
                            () -> tcp.echoConnections() == 0))
                .mapEmpty());
  }

  @Override
  public String formatPorthole(double value) {
    return String.format("%,.1f KiB/tunnel", value / 1024);
  }

  @Override
  public String formatBaseline(double value) {
    return String.format("%,.1f KiB/conn", value / 1024);
  }

  @Override
  public Future<Void> tearDown() {
    return Future.succeededFuture();
  }

  /**
   * Live heap before, opens the connections ({@code connectInFlight} at a time), live heap after,
   * then closes them all whatever happened; yields the difference per connection in bytes.
   */
  private Future<Double> perConnection(
      boolean warmUp, Supplier<Future<?>> openOne, Supplier<Future<Void>> closeAll) {
    int count = warmUp ? plan.warmUpIdleConnections() : plan.idleConnections();
    return settledLiveHeap()
        .compose(
            before ->
                Bounded.run(
                        tcp.clientContext(),
                        count,
                        plan.connectInFlight(),
                        plan.runLimit(),
                        i -> openOne.get())
                    .compose(elapsed -> settledLiveHeap())
                    .map(after -> (after - before) / (double) count))
        .eventually(closeAll);
  }

  /**
   * The live heap once it stopped moving: readings {@value #SETTLE_DELAY_MILLIS} ms apart (each
   * after full collections) until two in a row agree within 64 KiB, at most {@value
   * #MAX_SETTLE_READINGS} of them. Connections closed just before are released asynchronously
   * (channel deregistration, WebSocket closing handshake); without this their remains would count
   * against the next run.
   */
  private Future<Long> settledLiveHeap() {
    return settle(liveHeap(), 1);
  }

  private Future<Long> settle(Future<Long> reading, int readings) {
    return reading.compose(
        previous ->
            vertx
                .timer(SETTLE_DELAY_MILLIS, TimeUnit.MILLISECONDS)
                .compose(t -> liveHeap())
                .compose(
                    now ->
                        Math.abs(now - previous) <= SETTLED_BYTES
                                || readings + 1 >= MAX_SETTLE_READINGS
                            ? Future.succeededFuture(now)
                            : settle(Future.succeededFuture(now), readings + 1)));
  }

  private Future<Long> liveHeap() {
    return vertx.executeBlocking(HeapProbe::liveHeapBytes);
  }

  private Future<NetSocket> oneByteEcho(NetSocket socket) {
    Promise<NetSocket> echoed = Promise.promise();
    socket.handler(buffer -> echoed.tryComplete(socket));
    socket.exceptionHandler(echoed::tryFail);
    socket.write(ONE_BYTE).onFailure(echoed::tryFail);
    return echoed.future();
  }
}
