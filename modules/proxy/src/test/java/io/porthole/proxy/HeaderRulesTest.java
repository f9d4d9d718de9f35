package io.porthole.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HeaderRulesTest {

  private final Target path =
      new Target(
          Target.Door.PATH, "ses_a", 8080, null, 0, "/api/v1/sessions/ses_a/proxy/8080", "/x");
  private final Target sub = new Target(Target.Door.SUBDOMAIN, "ses_a", 8080, null, 0, "", "/x");
  private final HeaderRules.Client client =
      new HeaderRules.Client("203.0.113.9", "https", "ses-a-8080.dev.localhost", "203.0.113.9");

  @Test
  @DisplayName("Hop-by-hop, internal and platform credentials never reach the container")
  void requestHeaders() {
    MultiMap in =
        MultiMap.caseInsensitiveMultiMap()
            .add("Connection", "keep-alive, X-Secret-Hop")
            .add("X-Secret-Hop", "1")
            .add("Keep-Alive", "timeout=5")
            .add("Authorization", "Bearer phk_abcdef")
            .add("Cookie", "porthole_auth=tok; app=1")
            .add("X-Porthole-Internal", "forged")
            .add("Accept", "text/html");
    MultiMap out = HeaderRules.toContainer(in, client, path, "preserve", false);
    assertThat(out.contains("x-secret-hop")).isFalse();
    assertThat(out.contains("keep-alive")).isFalse();
    assertThat(out.contains("authorization")).isFalse();
    assertThat(out.contains("x-porthole-internal")).isFalse();
    assertThat(out.get("cookie")).isEqualTo("app=1");
    assertThat(out.get("x-forwarded-for")).isEqualTo("203.0.113.9");
    assertThat(out.get("x-forwarded-proto")).isEqualTo("https");
    assertThat(out.get("x-forwarded-host")).isEqualTo("ses-a-8080.dev.localhost");
    assertThat(out.get("x-forwarded-prefix")).isEqualTo("/api/v1/sessions/ses_a/proxy/8080");
    assertThat(out.get("forwarded")).contains("for=203.0.113.9").contains("proto=https");
    assertThat(out.get("accept")).isEqualTo("text/html");
  }

  @Test
  @DisplayName("An app's own Authorization header passes; Host follows the exposure's mode")
  void appAuthAndHost() {
    MultiMap in = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Basic dXNlcjpwYXNz");
    assertThat(HeaderRules.toContainer(in, client, sub, "preserve", false).get("authorization"))
        .isEqualTo("Basic dXNlcjpwYXNz");
    assertThat(HeaderRules.toContainer(in, client, sub, "preserve", false).get("host"))
        .isEqualTo("ses-a-8080.dev.localhost");
    assertThat(HeaderRules.toContainer(in, client, sub, "container", false).get("host"))
        .isEqualTo("localhost:8080");
  }

  @Test
  @DisplayName("On the path form, redirects and cookie paths go back under the prefix")
  void rewrites() {
    assertThat(HeaderRules.rewriteLocation("/login?next=/", path))
        .isEqualTo("/api/v1/sessions/ses_a/proxy/8080/login?next=/");
    assertThat(HeaderRules.rewriteLocation("http://localhost:8080/home", path))
        .isEqualTo("/api/v1/sessions/ses_a/proxy/8080/home");
    assertThat(HeaderRules.rewriteLocation("https://example.com/x", path))
        .isEqualTo("https://example.com/x");
    assertThat(HeaderRules.rewriteCookie("sid=1; Path=/; HttpOnly; Domain=example.com", path))
        .isEqualTo("sid=1; Path=/api/v1/sessions/ses_a/proxy/8080/; HttpOnly");
    assertThat(HeaderRules.rewriteCookie("sid=1", path))
        .isEqualTo("sid=1; Path=/api/v1/sessions/ses_a/proxy/8080/");
    assertThat(HeaderRules.rewriteCookie("sid=1; Domain=.dev.localhost; Path=/", sub))
        .isEqualTo("sid=1; Path=/");
  }
}
