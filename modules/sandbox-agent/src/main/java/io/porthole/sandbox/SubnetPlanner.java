package io.porthole.sandbox;

import java.util.Collection;
import java.util.Optional;

/**
 * Carves one /24 per session out of a nesting level's range {@code 10.(212+depth).0.0/16}, avoiding
 * every subnet the engine already has (any network, not only Porthole's). Nested levels use other
 * /16s, so an inner sandbox's networks never collide with its parent's.
 */
public final class SubnetPlanner {

  /** Sessions one sandbox level can hold: the /24s of its /16. */
  public static final int SLOTS = 256;

  private SubnetPlanner() {}

  /** The level's range, e.g. {@code 10.212.0.0/16} at depth 0. */
  public static String range(int depth) {
    return "10." + (212 + depth) + ".0.0/16";
  }

  /**
   * The first free /24 of the level's range, scanning from a slot derived from {@code seed} (so
   * supervisors creating at the same moment tend to pick different ones), or empty when all are
   * taken.
   */
  public static Optional<String> pick(int depth, Collection<String> taken, String seed) {
    int start = Math.floorMod(seed.hashCode(), SLOTS);
    for (int i = 0; i < SLOTS; i++) {
      int slot = (start + i) % SLOTS;
      String candidate = "10." + (212 + depth) + "." + slot + ".0/24";
      if (taken.stream().noneMatch(t -> overlaps(candidate, t))) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Whether two IPv4 CIDRs share an address; anything that is not IPv4 CIDR never overlaps. */
  public static boolean overlaps(String a, String b) {
    long[] x = parse(a);
    long[] y = parse(b);
    if (x == null || y == null) {
      return false;
    }
    long prefix = Math.min(x[1], y[1]);
    long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    return (x[0] & mask) == (y[0] & mask);
  }

  private static long[] parse(String cidr) {
    String[] parts = cidr.split("/");
    if (parts.length != 2) {
      return null;
    }
    String[] octets = parts[0].split("\\.");
    if (octets.length != 4) {
      return null;
    }
    try {
      long ip = 0;
      for (String o : octets) {
        int v = Integer.parseInt(o);
        if (v < 0 || v > 255) {
          return null;
        }
        ip = (ip << 8) | v;
      }
      int prefix = Integer.parseInt(parts[1]);
      if (prefix < 0 || prefix > 32) {
        return null;
      }
      return new long[] {ip, prefix};
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
