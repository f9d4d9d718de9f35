package io.porthole.tunnel.mux;

import io.porthole.tunnel.protocol.ErrorCode;

/** A stream was aborted with RESET, by the peer ({@link #remote()}) or locally. */
public class StreamResetException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int streamId;
  private final int code;
  private final boolean remote;

  public StreamResetException(int streamId, int code, String reason, boolean remote) {
    super(
        "stream "
            + streamId
            + " reset "
            + (remote ? "by peer" : "locally")
            + " ("
            + ErrorCode.describe(code)
            + "): "
            + reason,
        null,
        false,
        false);
    this.streamId = streamId;
    this.code = code;
    this.remote = remote;
  }

  /** The stream that was reset. */
  public int streamId() {
    return streamId;
  }

  /** The RESET error code (a protocol {@link ErrorCode} or an application code). */
  public int code() {
    return code;
  }

  /** Whether the peer sent the RESET. */
  public boolean remote() {
    return remote;
  }
}
