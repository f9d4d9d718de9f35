package io.porthole.tunnel.protocol;

import io.porthole.tunnel.protocol.impl.DefaultFrameCodec;
import io.vertx.core.buffer.Buffer;

/**
 * Encodes and decodes tunnel frames (see {@code docs/tunnel-protocol.md}).
 *
 * <pre>
 *  0        1        2        3        4                  8                  12
 *  +--------+--------+--------+--------+------------------+------------------+---------
 *  |version |  type  | flags  |reserved|  stream id (u32) | payload len (u32)| payload
 *  +--------+--------+--------+--------+------------------+------------------+---------
 * </pre>
 *
 * <p>All integers are big-endian. A codec instance is immutable and thread-safe.
 */
public interface FrameCodec {

  /** The protocol version this codec speaks. */
  int VERSION = 1;

  /** Size of the fixed frame header in bytes. */
  int HEADER_SIZE = 12;

  /** Where the header's payload length (u32) sits. */
  int LENGTH_OFFSET = 8;

  /** Default (and minimum interoperable) maximum payload of one frame: 64 KiB. */
  int DEFAULT_MAX_FRAME_PAYLOAD = 64 * 1024;

  /** Smallest max frame payload a codec may be configured with. */
  int MIN_MAX_FRAME_PAYLOAD = 1024;

  /** Largest max frame payload a codec may be configured with: 16 MiB. */
  int MAX_MAX_FRAME_PAYLOAD = 16 * 1024 * 1024;

  /** Largest legal stream id (the high bit of the id field is reserved). */
  int MAX_STREAM_ID = Integer.MAX_VALUE;

  /** A codec with the default 64 KiB max frame payload. */
  static FrameCodec create() {
    return new DefaultFrameCodec(DEFAULT_MAX_FRAME_PAYLOAD);
  }

  /** A codec accepting payloads up to {@code maxFramePayload} bytes. */
  static FrameCodec create(int maxFramePayload) {
    return new DefaultFrameCodec(maxFramePayload);
  }

  /** The largest payload this codec encodes or accepts. */
  int maxFramePayload();

  /**
   * Encodes a frame into a new buffer holding header and payload.
   *
   * @throws IllegalArgumentException if the frame would not pass {@link #decode(Buffer)}
   */
  Buffer encode(Frame frame);

  /**
   * Hot path for DATA: encodes {@code length} bytes of {@code source} starting at {@code offset} as
   * one DATA frame, copying them exactly once into the frame buffer.
   */
  Buffer encodeData(int streamId, Buffer source, int offset, int length);

  /**
   * Decodes and validates exactly one frame occupying all of {@code buffer}. The payload of the
   * returned frame is a slice of {@code buffer}.
   *
   * @throws ProtocolException if the bytes are not a valid version-1 frame
   */
  Frame decode(Buffer buffer) throws ProtocolException;
}
