package io.porthole.tunnel.mux.impl;

import io.porthole.tunnel.mux.MuxOptions;
import io.porthole.tunnel.mux.Role;
import io.porthole.tunnel.mux.StreamLimitException;
import io.porthole.tunnel.protocol.ErrorCode;
import io.porthole.tunnel.protocol.Frame;
import io.porthole.tunnel.protocol.FrameCodec;
import io.porthole.tunnel.protocol.ProtocolException;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open streams of one connection and the stream id rules: the opener allocates ids 1, 2, 3...;
 * the acceptor requires every OPEN id to be greater than the previous one. An id at or below the
 * high-water mark that is no longer in the table belongs to a stream that closed, so late frames
 * for it are ignored; an id above it was never opened, which is a protocol error.
 */
final class StreamTable {

  private static final Logger log = LoggerFactory.getLogger(StreamTable.class);

  private final Role role;
  private final MuxOptions options;
  private final Loop loop;
  private final FrameWriter writer;
  private final Map<Integer, MuxStreamImpl> streams = new HashMap<>();
  private volatile int size;
  private long nextStreamId = 1;
  private int highestAcceptedId;

  StreamTable(Role role, MuxOptions options, Loop loop, FrameWriter writer) {
    this.role = role;
    this.options = options;
    this.loop = loop;
    this.writer = writer;
  }

  /**
   * Allocates the next id and registers a locally opened stream (opener side).
   *
   * @throws StreamLimitException at the concurrency limit
   * @throws IllegalStateException when ids are exhausted
   */
  MuxStreamImpl openLocal(Buffer metadata, Loop owner) {
    if (streams.size() >= options.getMaxConcurrentStreams()) {
      throw new StreamLimitException(options.getMaxConcurrentStreams());
    }
    if (nextStreamId > FrameCodec.MAX_STREAM_ID) {
      throw new IllegalStateException("stream ids exhausted; open a new tunnel connection");
    }
    return register((int) nextStreamId++, metadata, owner);
  }

  /**
   * Checks an OPEN from the peer and registers the stream (acceptor side). Returns {@code null} if
   * it must be refused: not {@code wanted}, or at the concurrency limit. The id counts as used
   * either way.
   */
  MuxStreamImpl acceptRemote(int id, Buffer metadata, boolean wanted) throws ProtocolException {
    if (id <= highestAcceptedId) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR,
          "OPEN stream id " + id + " is not greater than the previous " + highestAcceptedId);
    }
    highestAcceptedId = id;
    if (!wanted || streams.size() >= options.getMaxConcurrentStreams()) {
      return null;
    }
    return register(id, metadata, loop);
  }

  /** The open stream a frame is for; {@code null} if it closed already (a tolerated race). */
  MuxStreamImpl lookup(Frame frame) throws ProtocolException {
    int id = frame.streamId();
    MuxStreamImpl stream = streams.get(id);
    if (stream != null) {
      return stream;
    }
    boolean existed = role == Role.OPENER ? id < nextStreamId : id <= highestAcceptedId;
    if (!existed) {
      throw new ProtocolException(
          ErrorCode.PROTOCOL_ERROR, frame.type() + " for stream " + id + " which was never opened");
    }
    log.trace("ignoring {} for closed stream {}", frame.type(), id);
    return null;
  }

  void remove(MuxStreamImpl stream) {
    if (streams.remove(stream.id()) != null) {
      size = streams.size();
      log.trace("stream {} closed; {} still open", stream.id(), size);
    }
  }

  /** Empties the table (the connection died) and returns what was open. */
  List<MuxStreamImpl> removeAll() {
    List<MuxStreamImpl> open = new ArrayList<>(streams.values());
    streams.clear();
    size = 0;
    return open;
  }

  /** Open streams; safe to read from any thread. */
  int size() {
    return size;
  }

  private MuxStreamImpl register(int id, Buffer metadata, Loop owner) {
    MuxStreamImpl stream = new MuxStreamImpl(this, loop, owner, writer, options, id, metadata);
    streams.put(id, stream);
    size = streams.size();
    return stream;
  }
}
