package io.porthole.bench;

import java.util.ArrayList;
import java.util.List;

/** The one plain-text table the benchmark prints: case, Porthole, baseline, ratio. */
final class ResultTable {

  /** One case's outcome. */
  record Row(BenchCase benchCase, Series porthole, Series baseline) {}

  private static final String[] HEADER = {
    "case", "Porthole", "direct TCP (baseline)", "Porthole / TCP"
  };

  private final int repeats;
  private final List<Row> rows = new ArrayList<>();

  ResultTable(int repeats) {
    this.repeats = repeats;
  }

  void add(Row row) {
    rows.add(row);
  }

  /** Whether every case produced both figures. */
  boolean complete() {
    return rows.stream()
        .allMatch(r -> r.porthole().complete(repeats) && r.baseline().complete(repeats));
  }

  /** The table, columns aligned, each figure the median of the runs "± half their range". */
  String render() {
    List<String[]> lines = new ArrayList<>();
    lines.add(HEADER);
    for (Row row : rows) {
      BenchCase c = row.benchCase();
      boolean p = row.porthole().complete(repeats);
      boolean b = row.baseline().complete(repeats);
      lines.add(
          new String[] {
            c.label(),
            p ? figure(c.formatPorthole(row.porthole().median()), row.porthole()) : "INCOMPLETE",
            b ? figure(c.formatBaseline(row.baseline().median()), row.baseline()) : "INCOMPLETE",
            p && b ? String.format("%.2fx", row.porthole().median() / row.baseline().median()) : "-"
          });
    }
    int[] widths = new int[HEADER.length];
    for (String[] line : lines) {
      for (int i = 0; i < line.length; i++) {
        widths[i] = Math.max(widths[i], line[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    appendLine(out, lines.get(0), widths);
    appendRule(out, widths);
    for (String[] line : lines.subList(1, lines.size())) {
      appendLine(out, line, widths);
    }
    for (Row row : rows) {
      appendFailure(out, row, "Porthole", row.porthole());
      appendFailure(out, row, "baseline", row.baseline());
    }
    return out.toString();
  }

  private static String figure(String formatted, Series series) {
    return String.format("%s ±%.0f%%", formatted, series.halfRangeRatio() * 100);
  }

  private void appendFailure(StringBuilder out, Row row, String side, Series series) {
    if (!series.complete(repeats)) {
      out.append("INCOMPLETE ")
          .append(side)
          .append(", ")
          .append(row.benchCase().label())
          .append(": ")
          .append(series.failure())
          .append('\n');
    }
  }

  private static void appendLine(StringBuilder out, String[] cells, int[] widths) {
    for (int i = 0; i < cells.length; i++) {
      boolean last = i == cells.length - 1;
      // the label is left-aligned, the figures right-aligned
      String format = i == 0 ? "%-" + widths[i] + "s" : "%" + widths[i] + "s";
      out.append(String.format(format, cells[i])).append(last ? "\n" : "   ");
    }
  }

  private static void appendRule(StringBuilder out, int[] widths) {
    for (int i = 0; i < widths.length; i++) {
      out.append("-".repeat(widths[i])).append(i == widths.length - 1 ? "\n" : "   ");
    }
  }
}
