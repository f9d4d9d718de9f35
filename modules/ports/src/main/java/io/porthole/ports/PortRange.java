package io.porthole.ports;

import java.util.ArrayList;
import java.util.List;

/** An inclusive range of ports, parsed from {@code "22"} or {@code "30000-30099"}. */
public record PortRange(int first, int last) {

  public PortRange {
    if (first < 1 || last > 65535 || first > last) {
      throw new IllegalArgumentException("not a port range in 1-65535: " + first + "-" + last);
    }
  }

  public boolean contains(int port) {
    return port >= first && port <= last;
  }

  public int size() {
    return last - first + 1;
  }

  /** Parses each entry; throws IllegalArgumentException naming the first bad one. */
  public static List<PortRange> parseAll(List<String> entries) {
    List<PortRange> out = new ArrayList<>();
    for (String e : entries) {
      String s = e.trim();
      if (!s.matches("^\\d{1,5}(-\\d{1,5})?$")) {
        throw new IllegalArgumentException(
            "expected a port or a range like 30000-30099, got \"" + e + "\"");
      }
      String[] parts = s.split("-");
      int first = Integer.parseInt(parts[0]);
      out.add(new PortRange(first, parts.length == 2 ? Integer.parseInt(parts[1]) : first));
    }
    return out;
  }
}
