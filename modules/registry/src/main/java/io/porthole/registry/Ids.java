package io.porthole.registry;

import java.security.SecureRandom;
import java.time.Clock;

/**
 * Identifiers and secrets. Session ids are ULID-like: {@code ses_} then 26 lowercase Crockford
 * base32 characters (48 bits of milliseconds, 80 random bits), so they sort by creation time and
 * fit in a DNS label once {@code _} becomes {@code -}.
 */
public final class Ids {

  /** Crockford's base32 alphabet, lowercase: no i, l, o, u. */
  static final String ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a session id looks like. */
  public static final String SESSION_ID_PATTERN = "^ses_[0-9a-hjkmnp-tv-z]{26}$";

  private Ids() {}

  public static String sessionId(Clock clock) {
    return "ses_" + ulid(clock);
  }

  public static String shareId(Clock clock) {
    return "shr_" + ulid(clock);
  }

  /** 26 characters: 10 of time (48 bits, ms), 16 of randomness (80 bits). */
  static String ulid(Clock clock) {
    StringBuilder out = new StringBuilder(26);
    long time = clock.millis();
    for (int i = 9; i >= 0; i--) {
      out.append(ALPHABET.charAt((int) ((time >>> (5 * i)) & 31)));
    }
    out.append(random(16));
    return out.toString();
  }

  /** {@code chars} random base32 characters: 5 bits each (32 characters are 160 bits). */
  public static String random(int chars) {
    StringBuilder out = new StringBuilder(chars);
    for (int i = 0; i < chars; i++) {
      out.append(ALPHABET.charAt(RANDOM.nextInt(32)));
    }
    return out.toString();
  }

  /** A share-link token: 32 base32 characters, 160 random bits, valid as a DNS label part. */
  public static String shareToken() {
    return random(32);
  }

  /** A sandbox tunnel token: {@code pht_} and 52 base32 characters (260 bits). */
  public static String sandboxToken() {
    return "pht_" + random(52);
  }
}
