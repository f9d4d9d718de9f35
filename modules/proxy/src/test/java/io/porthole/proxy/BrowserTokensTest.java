package io.porthole.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BrowserTokensTest {

  private final JsonObject claims =
      new JsonObject().put("session_id", "ses_a").put("port", 8080).put("owner", "alice");

  @Test
  @DisplayName("A token verifies for its purpose until it expires, and not for another purpose")
  void lifetime() {
    Instant now = Instant.parse("2026-11-22T12:00:00Z");
    BrowserTokens signer = new BrowserTokens("s3cret", Clock.fixed(now, ZoneOffset.UTC));
    String link = signer.sign("link", claims, Duration.ofSeconds(60));
    assertThat(signer.verify("link", link).getString("owner")).isEqualTo("alice");
    assertThat(signer.verify("cookie", link)).isNull();
    BrowserTokens later =
        new BrowserTokens("s3cret", Clock.fixed(now.plusSeconds(61), ZoneOffset.UTC));
    assertThat(later.verify("link", link)).isNull();
  }

  @Test
  @DisplayName("A token signed with another secret, tampered with or malformed is refused")
  void forgery() {
    BrowserTokens signer = new BrowserTokens("s3cret", Clock.systemUTC());
    String token = signer.sign("cookie", claims, Duration.ofHours(1));
    assertThat(new BrowserTokens("other", Clock.systemUTC()).verify("cookie", token)).isNull();
    String forgedPayload =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                claims
                    .copy()
                    .put("owner", "mallory")
                    .put("use", "cookie")
                    .put("exp", 9_999_999_999L)
                    .toBuffer()
                    .getBytes());
    assertThat(signer.verify("cookie", forgedPayload + token.substring(token.indexOf('.'))))
        .isNull();
    assertThat(signer.verify("cookie", "no-dot")).isNull();
    assertThat(signer.verify("cookie", "a.b.c")).isNull();
    assertThat(signer.verify("cookie", null)).isNull();
  }
}
