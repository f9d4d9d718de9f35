package io.porthole.tunnel.mux;

import io.porthole.tunnel.protocol.FrameCodec;
import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of one multiplexer (Vert.x options style: mutable, fluent, copied on use). Both ends of a
 * tunnel should use the same {@link #setMaxFramePayload max frame payload}.
 */
public class MuxOptions {

  /**
   * The window every stream starts with in each direction, fixed by the protocol (256 KiB). A
   * larger {@link #setInitialWindowSize initial window} is granted with a WINDOW_UPDATE right after
   * the stream opens.
   */
  public static final int PROTOCOL_INITIAL_WINDOW = 256 * 1024;

  public static final int DEFAULT_INITIAL_WINDOW_SIZE = PROTOCOL_INITIAL_WINDOW;
  public static final int DEFAULT_MAX_FRAME_PAYLOAD = FrameCodec.DEFAULT_MAX_FRAME_PAYLOAD;
  public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 1024;
  public static final int DEFAULT_STREAM_WRITE_QUEUE_MAX_SIZE = 128 * 1024;
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_DEAD_PEER_TIMEOUT = Duration.ofSeconds(15);
  public static final Duration DEFAULT_CONTROL_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private int initialWindowSize = DEFAULT_INITIAL_WINDOW_SIZE;
  private int maxFramePayload = DEFAULT_MAX_FRAME_PAYLOAD;
  private int maxConcurrentStreams = DEFAULT_MAX_CONCURRENT_STREAMS;
  private int streamWriteQueueMaxSize = DEFAULT_STREAM_WRITE_QUEUE_MAX_SIZE;
  private Duration pingInterval = DEFAULT_PING_INTERVAL;
  private Duration deadPeerTimeout = DEFAULT_DEAD_PEER_TIMEOUT;
  private Duration controlRequestTimeout = DEFAULT_CONTROL_REQUEST_TIMEOUT;

  public MuxOptions() {}

  public MuxOptions(MuxOptions other) {
    this.initialWindowSize = other.initialWindowSize;
    this.maxFramePayload = other.maxFramePayload;
    this.maxConcurrentStreams = other.maxConcurrentStreams;
    this.streamWriteQueueMaxSize = other.streamWriteQueueMaxSize;
    this.pingInterval = other.pingInterval;
    this.deadPeerTimeout = other.deadPeerTimeout;
    this.controlRequestTimeout = other.controlRequestTimeout;
  }

  /** Receive window granted to the peer per stream, in bytes (at least 256 KiB). */
  public int getInitialWindowSize() {
    return initialWindowSize;
  }

  public MuxOptions setInitialWindowSize(int initialWindowSize) {
    this.initialWindowSize = initialWindowSize;
    return this;
  }

  /** Largest payload of one frame sent or accepted, in bytes (default 64 KiB). */
  public int getMaxFramePayload() {
    return maxFramePayload;
  }

  public MuxOptions setMaxFramePayload(int maxFramePayload) {
    this.maxFramePayload = maxFramePayload;
    return this;
  }

  /** Most streams open at once; the acceptor refuses more with RESET(REFUSED_STREAM). */
  public int getMaxConcurrentStreams() {
    return maxConcurrentStreams;
  }

  public MuxOptions setMaxConcurrentStreams(int maxConcurrentStreams) {
    this.maxConcurrentStreams = maxConcurrentStreams;
    return this;
  }

  /** Default bytes a stream queues locally before {@code writeQueueFull()} turns true. */
  public int getStreamWriteQueueMaxSize() {
    return streamWriteQueueMaxSize;
  }

  public MuxOptions setStreamWriteQueueMaxSize(int streamWriteQueueMaxSize) {
    this.streamWriteQueueMaxSize = streamWriteQueueMaxSize;
    return this;
  }

  /** How often a keep-alive PING is sent. */
  public Duration getPingInterval() {
    return pingInterval;
  }

  public MuxOptions setPingInterval(Duration pingInterval) {
    this.pingInterval = pingInterval;
    return this;
  }

  /**
   * How long the peer may stay silent, or leave a PING unanswered, before it is declared dead and
   * the connection is closed with GOAWAY(DEAD_PEER).
   */
  public Duration getDeadPeerTimeout() {
    return deadPeerTimeout;
  }

  public MuxOptions setDeadPeerTimeout(Duration deadPeerTimeout) {
    this.deadPeerTimeout = deadPeerTimeout;
    return this;
  }

  /** Timeout of {@code request(command, body)} calls that give none. */
  public Duration getControlRequestTimeout() {
    return controlRequestTimeout;
  }

  public MuxOptions setControlRequestTimeout(Duration controlRequestTimeout) {
    this.controlRequestTimeout = controlRequestTimeout;
    return this;
  }

  /**
   * Checks the options are consistent.
   *
   * @throws IllegalArgumentException naming the first bad option
   */
  public MuxOptions validate() {
    require(
        initialWindowSize >= PROTOCOL_INITIAL_WINDOW,
        "initialWindowSize must be at least " + PROTOCOL_INITIAL_WINDOW);
    require(
        maxFramePayload >= FrameCodec.MIN_MAX_FRAME_PAYLOAD
            && maxFramePayload <= FrameCodec.MAX_MAX_FRAME_PAYLOAD,
        "maxFramePayload must be within ["
            + FrameCodec.MIN_MAX_FRAME_PAYLOAD
            + ", "
            + FrameCodec.MAX_MAX_FRAME_PAYLOAD
            + "]");
    require(maxConcurrentStreams > 0, "maxConcurrentStreams must be positive");
    require(streamWriteQueueMaxSize > 0, "streamWriteQueueMaxSize must be positive");
    requirePositive(pingInterval, "pingInterval");
    requirePositive(deadPeerTimeout, "deadPeerTimeout");
    requirePositive(controlRequestTimeout, "controlRequestTimeout");
    require(
        pingInterval.compareTo(deadPeerTimeout) < 0,
        "pingInterval must be shorter than deadPeerTimeout");
    return this;
  }

  private static void requirePositive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    require(
        !value.isNegative() && !value.isZero() && value.toMillis() > 0, name + " must be >= 1 ms");
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
