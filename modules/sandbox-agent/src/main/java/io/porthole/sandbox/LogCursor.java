package io.porthole.sandbox;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Follows a container's output by the timestamps the engine puts before each line: a poll asks for
 * the output since the second of the cursor and keeps only lines after it. The text handed back has
 * the timestamps removed; the cursor is the timestamp of its last line.
 */
final class LogCursor {

  static final String SKIPPED =
      "[porthole: the container wrote faster than it can be followed; lines were skipped]\n";

  private LogCursor() {}

  /** Plain text and the cursor (last line's timestamp, or {@code cursor} when there is none). */
  record Batch(String text, String cursor) {}

  /** Timestamped output read with a tail: every line, without its timestamp. */
  static Batch strip(String timestamped, String cursor) {
    return collect(timestamped, null, cursor, false);
  }

  /**
   * The lines of timestamped output after {@code cursor}. When the read was {@code truncated}, the
   * last line may be cut: it is left for the next poll, unless nothing else was new, in which case
   * the reader fell behind and says so.
   */
  static Batch after(String timestamped, String cursor, boolean truncated) {
    Batch b = collect(timestamped, parse(cursor), cursor, truncated);
    if (truncated && b.text().isEmpty()) {
      Batch all = collect(timestamped, parse(cursor), cursor, false);
      return new Batch(SKIPPED + all.text(), all.cursor());
    }
    return b;
  }

  /** The epoch second a cursor falls in (what the engine's {@code since} takes). */
  static long second(String cursor) {
    Instant at = parse(cursor);
    if (at == null) {
      throw new IllegalArgumentException("not a log cursor: " + cursor);
    }
    return at.getEpochSecond();
  }

  static boolean valid(String cursor) {
    return parse(cursor) != null;
  }

  private static Batch collect(
      String timestamped, Instant after, String cursor, boolean dropUnfinished) {
    StringBuilder out = new StringBuilder();
    String last = cursor;
    int pos = 0;
    while (pos < timestamped.length()) {
      int nl = timestamped.indexOf('\n', pos);
      if (nl < 0 && dropUnfinished) {
        break;
      }
      int end = nl < 0 ? timestamped.length() : nl + 1;
      String line = timestamped.substring(pos, end);
      pos = end;
      int space = line.indexOf(' ');
      Instant at = space > 0 ? parse(line.substring(0, space)) : null;
      if (at == null) {
        // not timestamped (should not happen): pass it on as it is
        out.append(line);
        continue;
      }
      if (after != null && !at.isAfter(after)) {
        continue;
      }
      out.append(line, space + 1, line.length());
      last = line.substring(0, space);
    }
    return new Batch(out.toString(), last);
  }

  private static Instant parse(String ts) {
    if (ts == null || ts.isEmpty() || ts.length() > 40) {
      return null;
    }
    try {
      return Instant.parse(ts);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
