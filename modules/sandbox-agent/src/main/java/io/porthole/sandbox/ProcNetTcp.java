package io.porthole.sandbox;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the listening TCP sockets out of {@code /proc/net/tcp} and {@code /proc/net/tcp6} text:
 * rows whose state ({@code st}) is {@code 0A} (LISTEN). Addresses are hex, each 32-bit word in the
 * kernel's (little-endian) byte order; the port is big-endian hex.
 */
public final class ProcNetTcp {

  /** One listening socket. */
  public record Listener(int port, String address) implements Comparable<Listener> {

    public JsonObject toJson() {
      return new JsonObject().put("port", port).put("protocol", "tcp").put("address", address);
    }

    @Override
    public int compareTo(Listener o) {
      int c = Integer.compare(port, o.port);
      return c != 0 ? c : address.compareTo(o.address);
    }
  }

  private static final String LISTEN = "0A";

  private ProcNetTcp() {}

  /** The listeners in one or more concatenated tables, sorted by port, without duplicates. */
  public static List<Listener> listeners(String tables) {
    Set<Listener> out = new TreeSet<>();
    String[] lines = tables.split("\n", 100_000);
    for (String line : lines) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 4 || !f[0].endsWith(":") || !LISTEN.equalsIgnoreCase(f[3])) {
        continue;
      }
      int colon = f[1].lastIndexOf(':');
      if (colon < 0) {
        continue;
      }
      try {
        int port = Integer.parseInt(f[1].substring(colon + 1), 16);
        String address = address(f[1].substring(0, colon));
        if (address != null && port > 0) {
          out.add(new Listener(port, address));
        }
      } catch (NumberFormatException e) {
        // not a socket row
      }
    }
    return new ArrayList<>(out);
  }

  private static String address(String hex) {
    if (hex.length() == 8) {
      long v = Long.parseLong(hex, 16);
      return (v & 0xFF)
          + "."
          + ((v >> 8) & 0xFF)
          + "."
          + ((v >> 16) & 0xFF)
          + "."
          + ((v >> 24) & 0xFF);
    }
    if (hex.length() == 32) {
      byte[] b = new byte[16];
      for (int word = 0; word < 4; word++) {
        long v = Long.parseLong(hex.substring(word * 8, word * 8 + 8), 16);
        for (int i = 0; i < 4; i++) {
          b[word * 4 + i] = (byte) (v >> (8 * i));
        }
      }
      return ipv6(b);
    }
    return null;
  }

  /** An IPv6 address in its short form ({@code ::}, {@code ::1}, {@code ::ffff:10.0.0.1}). */
  private static String ipv6(byte[] b) {
    boolean v4mapped = true;
    for (int i = 0; i < 10; i++) {
      v4mapped &= b[i] == 0;
    }
    v4mapped &= (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF;
    if (v4mapped) {
      return "::ffff:"
          + (b[12] & 0xFF)
          + "."
          + (b[13] & 0xFF)
          + "."
          + (b[14] & 0xFF)
          + "."
          + (b[15] & 0xFF);
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
    }
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLen && j - i > 1) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        s.append("::");
        i += bestLen - 1;
        continue;
      }
      if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
        s.append(':');
      }
      s.append(Integer.toHexString(groups[i]));
    }
    return s.toString();
  }
}
