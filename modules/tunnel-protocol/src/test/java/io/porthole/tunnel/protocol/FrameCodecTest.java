package io.porthole.tunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Frame codec")
class FrameCodecTest {

  private final FrameCodec codec = FrameCodec.create();

  static Stream<Frame> sampleFrames() {
    return Stream.of(
        Frame.open(1, new JsonObject().put("port", 8080).toBuffer()),
        Frame.open(7, Buffer.buffer()),
        Frame.data(3, Buffer.buffer("hello tunnel")),
        Frame.data(
            Integer.MAX_VALUE, Buffer.buffer(new byte[FrameCodec.DEFAULT_MAX_FRAME_PAYLOAD])),
        Frame.halfClose(5),
        Frame.reset(9, ErrorCode.CANCEL.code(), "cancelled by user ✓"),
        Frame.reset(9, ErrorCode.FIRST_APPLICATION_CODE + 3, ""),
        Frame.windowUpdate(11, 131_072),
        Frame.windowUpdate(11, Integer.MAX_VALUE),
        Frame.ping(0x0102030405060708L),
        Frame.pingAck(-1L),
        Frame.goAway(ErrorCode.PROTOCOL_ERROR.code(), "bad frame"),
        Frame.control(new JsonObject().put("kind", "request").put("id", 1).toBuffer()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sampleFrames")
  @DisplayName("every frame type survives an encode/decode round trip unchanged")
  void roundTrip(Frame frame) throws ProtocolException {
    Buffer wire = codec.encode(frame);

    assertThat(wire.length()).isEqualTo(FrameCodec.HEADER_SIZE + frame.payload().length());
    assertThat(wire.getUnsignedByte(0)).isEqualTo((short) FrameCodec.VERSION);
    Frame decoded = codec.decode(wire);
    assertThat(decoded).isEqualTo(frame);
  }

  @Test
  @DisplayName("the sample set covers every frame type in the table")
  void samplesCoverAllTypes() {
    assertThat(sampleFrames().map(Frame::type).distinct())
        .containsExactlyInAnyOrder(FrameType.values());
  }

  @Test
  @DisplayName("typed accessors read the structured payloads")
  void typedAccessors() throws ProtocolException {
    Frame reset = codec.decode(codec.encode(Frame.reset(4, 6, "gone")));
    Frame update = codec.decode(codec.encode(Frame.windowUpdate(4, 1234)));
    Frame ping = codec.decode(codec.encode(Frame.pingAck(42L)));

    assertThat(reset.errorCode()).isEqualTo(6);
    assertThat(reset.reason()).isEqualTo("gone");
    assertThat(update.windowIncrement()).isEqualTo(1234);
    assertThat(ping.pingData()).isEqualTo(42L);
    assertThat(ping.isAck()).isTrue();
  }

  @Test
  @DisplayName("the DATA hot path encodes a slice of a larger buffer without touching the rest")
  void encodeDataSlice() throws ProtocolException {
    Buffer source = Buffer.buffer("xxxPAYLOADyyy");

    Frame decoded = codec.decode(codec.encodeData(8, source, 3, 7));

    assertThat(decoded.type()).isEqualTo(FrameType.DATA);
    assertThat(decoded.streamId()).isEqualTo(8);
    assertThat(decoded.payload().toString()).isEqualTo("PAYLOAD");
  }

  @Test
  @DisplayName("reasons longer than the limit are truncated rather than producing huge frames")
  void longReasonTruncated() {
    Frame frame = Frame.goAway(1, "x".repeat(10_000));

    assertThat(frame.reason()).hasSize(Frame.MAX_REASON_CHARS);
  }

  enum BadFrame {
    TRUNCATED_HEADER(
        Buffer.buffer(new byte[] {1, 2, 0, 0, 0}), ErrorCode.FRAME_SIZE_ERROR, "shorter than"),
    BAD_VERSION(header(2, 0x02, 0, 0, 1, 0), ErrorCode.UNSUPPORTED_VERSION, "version 2"),
    UNKNOWN_TYPE(header(1, 0x4F, 0, 0, 1, 0), ErrorCode.PROTOCOL_ERROR, "unknown frame type 0x4f"),
    UNDEFINED_FLAG(header(1, 0x02, 0x80, 0, 1, 0), ErrorCode.PROTOCOL_ERROR, "undefined flags"),
    ACK_ON_DATA(header(1, 0x02, 0x01, 0, 1, 0), ErrorCode.PROTOCOL_ERROR, "undefined flags"),
    RESERVED_BYTE(header(1, 0x02, 0, 9, 1, 0), ErrorCode.PROTOCOL_ERROR, "reserved header byte"),
    HIGH_BIT_STREAM_ID(header(1, 0x02, 0, 0, -5, 0), ErrorCode.PROTOCOL_ERROR, "reserved high bit"),
    DATA_ON_STREAM_ZERO(header(1, 0x02, 0, 0, 0, 0), ErrorCode.PROTOCOL_ERROR, "needs a stream id"),
    OPEN_ON_STREAM_ZERO(header(1, 0x01, 0, 0, 0, 0), ErrorCode.PROTOCOL_ERROR, "needs a stream id"),
    PING_ON_STREAM(
        header(1, 0x06, 0, 0, 3, 8).appendLong(1), ErrorCode.PROTOCOL_ERROR, "connection-level"),
    LENGTH_LONGER_THAN_BYTES(
        header(1, 0x02, 0, 0, 1, 10).appendString("short"),
        ErrorCode.FRAME_SIZE_ERROR,
        "length field says 10"),
    LENGTH_SHORTER_THAN_BYTES(
        header(1, 0x02, 0, 0, 1, 2).appendString("longer"),
        ErrorCode.FRAME_SIZE_ERROR,
        "length field says 2"),
    OVERSIZED(
        header(1, 0x02, 0, 0, 1, 65_537).appendBytes(new byte[65_537]),
        ErrorCode.FRAME_SIZE_ERROR,
        "exceeds the maximum of 65536"),
    OVERSIZED_LENGTH_FIELD_ONLY(
        header(1, 0x02, 0, 0, 1, -1), ErrorCode.FRAME_SIZE_ERROR, "4294967295"),
    PING_TOO_SHORT(
        header(1, 0x06, 0, 0, 0, 4).appendInt(1), ErrorCode.FRAME_SIZE_ERROR, "shorter than 8"),
    HALF_CLOSE_WITH_PAYLOAD(
        header(1, 0x03, 0, 0, 1, 1).appendByte((byte) 1),
        ErrorCode.FRAME_SIZE_ERROR,
        "longer than 0"),
    RESET_WITHOUT_CODE(
        header(1, 0x04, 0, 0, 1, 2).appendShort((short) 1),
        ErrorCode.FRAME_SIZE_ERROR,
        "shorter than 4"),
    ZERO_WINDOW_INCREMENT(
        header(1, 0x05, 0, 0, 1, 4).appendInt(0), ErrorCode.PROTOCOL_ERROR, "increment"),
    NEGATIVE_WINDOW_INCREMENT(
        header(1, 0x05, 0, 0, 1, 4).appendInt(-1), ErrorCode.PROTOCOL_ERROR, "increment"),
    RESET_REASON_NOT_UTF8(
        header(1, 0x04, 0, 0, 1, 6).appendInt(1).appendByte((byte) 0xC3).appendByte((byte) 0x28),
        ErrorCode.PROTOCOL_ERROR,
        "UTF-8");

    final Buffer bytes;
    final ErrorCode code;
    final String reason;

    BadFrame(Buffer bytes, ErrorCode code, String reason) {
      this.bytes = bytes;
      this.code = code;
      this.reason = reason;
    }
  }

  @ParameterizedTest
  @EnumSource(BadFrame.class)
  @DisplayName("malformed frames are rejected with a typed error code and a clear reason")
  void rejectsBadFrames(BadFrame bad) {
    assertThatThrownBy(() -> codec.decode(bad.bytes))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.code()).isEqualTo(bad.code))
        .hasMessageContaining(bad.reason);
  }

  @Test
  @DisplayName("a codec configured with a smaller max frame payload rejects larger frames")
  void configuredMaxFramePayload() {
    FrameCodec small = FrameCodec.create(1024);
    Buffer wire = FrameCodec.create().encode(Frame.data(1, Buffer.buffer(new byte[1025])));

    assertThatThrownBy(() -> small.decode(wire))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("exceeds the maximum of 1024");
  }

  static Stream<Arguments> unencodableFrames() {
    return Stream.of(
        Arguments.of(Frame.data(0, Buffer.buffer("x"))),
        Arguments.of(new Frame(FrameType.PING, 0, 1, Buffer.buffer(new byte[8]))),
        Arguments.of(new Frame(FrameType.DATA, Frame.FLAG_ACK, 1, Buffer.buffer())),
        Arguments.of(
            Frame.data(1, Buffer.buffer(new byte[FrameCodec.DEFAULT_MAX_FRAME_PAYLOAD + 1]))),
        Arguments.of(new Frame(FrameType.WINDOW_UPDATE, 0, 1, Buffer.buffer(new byte[3]))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unencodableFrames")
  @DisplayName("the encoder refuses frames the decoder would reject")
  void encoderValidates(Frame frame) {
    assertThatThrownBy(() -> codec.encode(frame)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("error codes map to names, including unknown and application codes")
  void errorCodeNames() {
    assertThat(ErrorCode.fromCode(3)).isEqualTo(ErrorCode.FLOW_CONTROL_ERROR);
    assertThat(ErrorCode.describe(ErrorCode.FIRST_APPLICATION_CODE)).isEqualTo("0x1000");
    assertThat(ErrorCode.fromCode(-1)).isNull();
  }

  private static Buffer header(int version, int type, int flags, int reserved, int id, int len) {
    return Buffer.buffer()
        .appendByte((byte) version)
        .appendByte((byte) type)
        .appendByte((byte) flags)
        .appendByte((byte) reserved)
        .appendInt(id)
        .appendInt(len);
  }
}
