package io.porthole.tunnel.protocol.impl;

import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.FrameCodec;
import io.porthole.tunnel.protocol.FrameType;
import io.porthole.tunnel.protocol.ProtocolException;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Table-driven, strictly validating implementation of {@link FrameCodec}. */
public final class DefaultFrameCodec implements FrameCodec {

  private final int maxFramePayload;

  public DefaultFrameCodec(int maxFramePayload) {
    if (maxFramePayload < MIN_MAX_FRAME_PAYLOAD || maxFramePayload > MAX_MAX_FRAME_PAYLOAD) {
      throw new IllegalArgumentException(
          "maxFramePayload must be within ["
              + MIN_MAX_FRAME_PAYLOAD
              + ", "
              + MAX_MAX_FRAME_PAYLOAD
              + "], was "
              + maxFramePayload);
    }
    this.maxFramePayload = maxFramePayload;
  }

  @Override
  public int maxFramePayload() {
    return maxFramePayload;
  }

  @Override
  public Buffer encode(Frame frame) {
    FrameType type = frame.type();
    int length = frame.payload().length();
    checkStreamId(type, frame.streamId());
    if ((frame.flags() & ~type.allowedFlags()) != 0 || frame.flags() > 0xFF) {
      throw new IllegalArgumentException(
          "flags 0x" + Integer.toHexString(frame.flags()) + " on " + type);
    }
    if (length > maxFramePayload
        || length < type.minPayload()
        || (type.maxPayload() >= 0 && length > type.maxPayload())) {
      throw new IllegalArgumentException(
          type + " payload of " + length + " bytes is out of bounds");
    }
    Buffer out = Buffer.buffer(HEADER_SIZE + length);
    writeHeader(out, type, frame.flags(), frame.streamId(), length);
    return out.appendBuffer(frame.payload());
  }

  @Override
  public Buffer encodeData(int streamId, Buffer source, int offset, int length) {
    checkStreamId(FrameType.DATA, streamId);
    if (length < 0 || length > maxFramePayload) {
      throw new IllegalArgumentException("DATA payload of " + length + " bytes is out of bounds");
    }
    Buffer out = Buffer.buffer(HEADER_SIZE + length);
    writeHeader(out, FrameType.DATA, 0, streamId, length);
    return out.appendBuffer(source, offset, length);
  }

  @Override
  public Frame decode(Buffer buffer) throws ProtocolException {
    int total = buffer.length();
    if (total < HEADER_SIZE) {
      throw new ProtocolException(
          ErrorCode.FRAME_SIZE_ERROR,
          "frame of " + total + " bytes is shorter than the " + HEADER_SIZE + "-byte header");
    }
    int version = buffer.getUnsignedByte(0);
    if (version != VERSION) {
      throw new ProtocolException(
          ErrorCode.UNSUPPORTED_VERSION,
          "unsupported protocol version " + version + " (this side speaks " + VERSION + ")");
    }
    int typeCode = buffer.getUnsignedByte(1);
    FrameType type = FrameType.fromCode(typeCode);
    if (type == null) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR, "unknown frame type 0x" + Integer.toHexString(typeCode));
    }
    int flags = buffer.getUnsignedByte(2);
    if ((flags & ~type.allowedFlags()) != 0) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR,
          "undefined flags 0x" + Integer.toHexString(flags) + " on " + type + " frame");
    }
    if (buffer.getByte(3) != 0) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR, "reserved header byte must be 0 on " + type + " frame");
    }
    int streamId = buffer.getInt(4);
    validateStreamId(type, streamId);
    long length = buffer.getUnsignedInt(8);
    if (length > maxFramePayload) {
      throw new ProtocolException(
          ErrorCode.FRAME_SIZE_ERROR,
          type + " payload of " + length + " bytes exceeds the maximum of " + maxFramePayload);
    }
    if (length != total - HEADER_SIZE) {
      throw new ProtocolException(
          ErrorCode.FRAME_SIZE_ERROR,
          type
              + " length field says "
              + length
              + " bytes but "
              + (total - HEADER_SIZE)
              + " payload bytes were received");
    }
    validatePayloadLength(type, (int) length);
    Buffer payload = buffer.slice(HEADER_SIZE, total);
    validatePayload(type, payload);
    return new Frame(type, flags, streamId, payload);
  }

  private static void writeHeader(Buffer out, FrameType type, int flags, int streamId, int len) {
    out.appendByte((byte) VERSION)
        .appendByte((byte) type.code())
        .appendByte((byte) flags)
        .appendByte((byte) 0)
        .appendInt(streamId)
        .appendInt(len);
  }

  private static void checkStreamId(FrameType type, int streamId) {
    try {
      validateStreamId(type, streamId);
    } catch (ProtocolException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  private static void validateStreamId(FrameType type, int streamId) throws ProtocolException {
    if (streamId < 0) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR, type + " frame has the reserved high bit of the stream id set");
    }
    if (type.streamIdRule() == FrameType.StreamIdRule.ZERO && streamId != 0) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR,
          type + " is a connection-level frame but carries stream id " + streamId);
    }
    if (type.streamIdRule() == FrameType.StreamIdRule.NON_ZERO && streamId == 0) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, type + " frame needs a stream id");
    }
  }

  private static void validatePayloadLength(FrameType type, int length) throws ProtocolException {
    if (length < type.minPayload()) {
      throw new ProtocolException(
          ErrorCode.FRAME_SIZE_ERROR,
          type + " payload of " + length + " bytes is shorter than " + type.minPayload());
    }
    if (type.maxPayload() >= 0 && length > type.maxPayload()) {
      throw new ProtocolException(
          ErrorCode.FRAME_SIZE_ERROR,
          type + " payload of " + length + " bytes is longer than " + type.maxPayload());
    }
  }

  private static void validatePayload(FrameType type, Buffer payload) throws ProtocolException {
    switch (type) {
      case WINDOW_UPDATE -> {
        int increment = payload.getInt(0);
        if (increment <= 0) {
          throw new ProtocolException(
              ErrorCode.PROTOCOL_ERROR,
              "WINDOW_UPDATE increment must be within 1..2^31-1, was "
                  + Integer.toUnsignedString(increment));
        }
      }
      case RESET, GOAWAY -> requireUtf8(type, payload, 4);
      case CONTROL -> requireUtf8(type, payload, 0);
      default -> {
        // OPEN metadata and DATA are opaque; PING and HALF_CLOSE are fully checked by length
      }
    }
  }

  private static void requireUtf8(FrameType type, Buffer payload, int from)
      throws ProtocolException {
    if (payload.length() == from) {
      return;
    }
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(payload.getBytes(from, payload.length())));
    } catch (CharacterCodingException e) {
      throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, type + " text is not valid UTF-8");
    }
  }
}
