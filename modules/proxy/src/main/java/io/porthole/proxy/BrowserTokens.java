package io.porthole.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived signed tokens for browsers on subdomain URLs, where no Authorization header can be
 * set: a one-minute link token ({@code link}) is exchanged on the exposure's own host for a cookie
 * token ({@code cookie}) scoped to exactly that host. Both are {@code payload.signature},
 * base64url, HMAC-SHA256 with the cluster's internal secret; the purpose is part of what is signed.
 */
final class BrowserTokens {

  static final Duration LINK_TTL = Duration.ofSeconds(60);
  static final Duration COOKIE_TTL = Duration.ofHours(12);

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder D64 = Base64.getUrlDecoder();

  private final byte[] secret;
  private final Clock clock;

  BrowserTokens(String secret, Clock clock) {
    this.secret = ("browser-tokens:" + secret).getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
  }

  /** Signs {@code claims} (session_id, port, owner) for {@code purpose}, valid for {@code ttl}. */
  String sign(String purpose, JsonObject claims, Duration ttl) {
    JsonObject body =
        claims.copy().put("exp", clock.instant().plus(ttl).getEpochSecond()).put("use", purpose);
    String payload = B64.encodeToString(body.toBuffer().getBytes());
    return payload + "." + B64.encodeToString(mac(purpose + "." + payload));
  }

  /** The claims of a valid, unexpired token for {@code purpose}, or null. */
  JsonObject verify(String purpose, String token) {
    if (token == null || token.length() > 4096) {
      return null;
    }
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.')) {
      return null;
    }
    String payload = token.substring(0, dot);
    try {
      byte[] given = D64.decode(token.substring(dot + 1));
      if (!MessageDigest.isEqual(given, mac(purpose + "." + payload))) {
        return null;
      }
      JsonObject claims = new JsonObject(Buffer.buffer(D64.decode(payload)));
      if (!purpose.equals(claims.getString("use"))
          || claims.getLong("exp", 0L) < clock.instant().getEpochSecond()) {
        return null;
      }
      return claims;
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      return null;
    }
  }

  private byte[] mac(String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
