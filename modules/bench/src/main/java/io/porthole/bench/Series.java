package io.porthole.bench;

import java.util.ArrayList;
import java.util.List;

/** The measured runs of one side of one case, or why they could not all be made. */
final class Series {

  private final List<Double> values = new ArrayList<>();
  private String failure;

  void add(double value) {
    values.add(value);
  }

  /** Marks the series incomplete; the first reason wins. */
  void fail(String reason) {
    if (failure == null) {
      failure = reason;
    }
  }

  /** Whether every run produced a value ({@code expected} of them). */
  boolean complete(int expected) {
    return failure == null && values.size() == expected;
  }

  String failure() {
    return failure != null ? failure : "no value";
  }

  /** The median of the values (the mean of the middle two for an even count). */
  double median() {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** Half the range of the values, relative to the median: "±x" of the figure. */
  double halfRangeRatio() {
    double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    double median = median();
    return median == 0 ? 0 : (max - min) / 2 / Math.abs(median);
  }
}
