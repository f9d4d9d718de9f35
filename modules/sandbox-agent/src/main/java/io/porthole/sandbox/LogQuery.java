package io.porthole.sandbox;

/**
 * Which part of a container's output to read.
 *
 * @param tailLines the last lines only (0: no tail, everything from {@code sinceSecond})
 * @param sinceSecond output from this epoch second on (0: from the start); the engine's granularity
 * @param timestamps each line prefixed with its RFC 3339 timestamp and a space
 * @param maxBytes at most this many bytes
 * @param head keep the first {@code maxBytes} (reading further output later); otherwise the last
 */
public record LogQuery(
    int tailLines, long sinceSecond, boolean timestamps, int maxBytes, boolean head) {

  /** The end of the output, as {@code docker logs --tail}. */
  public static LogQuery tail(int lines, int maxBytes, boolean timestamps) {
    return new LogQuery(lines, 0, timestamps, maxBytes, false);
  }

  /** Timestamped output from {@code sinceSecond} on, its first {@code maxBytes}. */
  public static LogQuery since(long sinceSecond, int maxBytes) {
    return new LogQuery(0, sinceSecond, true, maxBytes, true);
  }
}
