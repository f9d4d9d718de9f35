package io.porthole.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Following container output by timestamp")
class LogCursorTest {

  static final String T1 = "2026-11-22T10:00:00.100000000Z";
  static final String T2 = "2026-11-22T10:00:00.200000000Z";
  static final String T3 = "2026-11-22T10:00:01.000000001Z";
  static final String OUT = T1 + " one\n" + T2 + " two\n" + T3 + " three\n";

  @Test
  @DisplayName("a tail loses its timestamps and the cursor is its last line's")
  void strip() {
    LogCursor.Batch b = LogCursor.strip(OUT, "start");
    assertThat(b.text()).isEqualTo("one\ntwo\nthree\n");
    assertThat(b.cursor()).isEqualTo(T3);
    assertThat(LogCursor.strip("", T1).cursor()).isEqualTo(T1);
  }

  @Test
  @DisplayName("a poll keeps only the lines after the cursor, and an empty one keeps the cursor")
  void after() {
    LogCursor.Batch b = LogCursor.after(OUT, T1, false);
    assertThat(b.text()).isEqualTo("two\nthree\n");
    assertThat(b.cursor()).isEqualTo(T3);
    LogCursor.Batch none = LogCursor.after(OUT, T3, false);
    assertThat(none.text()).isEmpty();
    assertThat(none.cursor()).isEqualTo(T3);
    assertThat(LogCursor.second(T3)).isEqualTo(LogCursor.second(T2) + 1);
  }

  @Test
  @DisplayName("a cut read leaves its unfinished line for the next poll; no progress says so")
  void truncated() {
    String cut = T1 + " one\n" + T2 + " tw";
    LogCursor.Batch b = LogCursor.after(cut, "2026-11-22T09:00:00Z", true);
    assertThat(b.text()).isEqualTo("one\n");
    assertThat(b.cursor()).isEqualTo(T1);
    LogCursor.Batch behind = LogCursor.after(cut, T1, true);
    assertThat(behind.text()).startsWith(LogCursor.SKIPPED).endsWith("tw");
    assertThat(behind.cursor()).isEqualTo(T2);
  }

  @Test
  @DisplayName("a cursor must be a timestamp")
  void validation() {
    assertThat(LogCursor.valid(T1)).isTrue();
    assertThat(LogCursor.valid("yesterday")).isFalse();
    assertThat(LogCursor.valid(null)).isFalse();
    assertThatThrownBy(() -> LogCursor.second("x")).isInstanceOf(IllegalArgumentException.class);
  }
}
