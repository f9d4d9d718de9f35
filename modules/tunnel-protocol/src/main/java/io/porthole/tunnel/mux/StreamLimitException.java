package io.porthole.tunnel.mux;

/**
 * {@link Multiplexer#open} failed because the tunnel already carries its most streams at once
 * ({@link MuxOptions#getMaxConcurrentStreams}). Another tunnel, or a later try, may have room.
 */
public final class StreamLimitException extends IllegalStateException {

  private final int limit;

  public StreamLimitException(int limit) {
    super("too many concurrent streams (" + limit + ")");
    this.limit = limit;
  }

  /** The tunnel's limit of concurrent streams. */
  public int limit() {
    return limit;
  }
}
