package io.porthole.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FrontDoorsTest {

  private final FrontDoors doors = new FrontDoors("dev.localhost");

  @Test
  @DisplayName("The path form strips its prefix and keeps the query")
  void pathForm() {
    Target t = doors.fromPath("/api/v1/sessions/ses_abc123/proxy/8080/app/main.js?v=2");
    assertThat(t.sessionId()).isEqualTo("ses_abc123");
    assertThat(t.port()).isEqualTo(8080);
    assertThat(t.uri()).isEqualTo("/app/main.js?v=2");
    assertThat(t.prefix()).isEqualTo("/api/v1/sessions/ses_abc123/proxy/8080");
    assertThat(doors.fromPath("/api/v1/sessions/ses_abc123/proxy/8080").uri()).isEqualTo("/");
  }

  @Test
  @DisplayName("Dot segments, plain or encoded, and backslashes are refused with 400")
  void traversal() {
    for (String uri :
        new String[] {
          "/api/v1/sessions/ses_a/proxy/80/../../etc/passwd",
          "/api/v1/sessions/ses_a/proxy/80/%2e%2e/x",
          "/api/v1/sessions/ses_a/proxy/80/%2E%2e/x",
          "/api/v1/sessions/ses_a/proxy/80/a/./b",
          "/api/v1/sessions/ses_a/proxy/80/a/%2e",
          "/api/v1/sessions/ses_a/proxy/80/a%5c..%5cb"
        }) {
      assertThatThrownBy(() -> doors.fromPath(uri))
          .as(uri)
          .isInstanceOfSatisfying(
              PortholeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID));
    }
    assertThat(doors.fromPath("/api/v1/sessions/ses_a/proxy/80/a..b/.hidden").uri())
        .isEqualTo("/a..b/.hidden");
  }

  @Test
  @DisplayName("A port out of range is a 400; a malformed session id is a 404")
  void badParts() {
    assertThatThrownBy(() -> doors.fromPath("/api/v1/sessions/ses_a/proxy/70000/"))
        .isInstanceOfSatisfying(
            PortholeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID));
    assertThatThrownBy(() -> doors.fromPath("/api/v1/sessions/ses_a/proxy/0/"))
        .isInstanceOf(PortholeException.class);
    assertThatThrownBy(() -> doors.fromPath("/api/v1/sessions/../proxy/80/"))
        .isInstanceOfSatisfying(
            PortholeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  @DisplayName("The three subdomain forms name a session and a port or a name")
  void subdomains() {
    assertThat(doors.subdomainLabel("ses-abc123-8080.dev.localhost:8080"))
        .isEqualTo("ses-abc123-8080");
    Target byPort = doors.fromSubdomain("ses-abc123-8080", "/x");
    assertThat(byPort.sessionId()).isEqualTo("ses_abc123");
    assertThat(byPort.port()).isEqualTo(8080);
    Target pForm = doors.fromSubdomain("p3000-ses-abc123", "/");
    assertThat(pForm.sessionId()).isEqualTo("ses_abc123");
    assertThat(pForm.port()).isEqualTo(3000);
    Target named = doors.fromSubdomain("api-ses-abc123", "/");
    assertThat(named.name()).isEqualTo("api");
    assertThat(named.port()).isZero();
  }

  @Test
  @DisplayName("Hosts outside the domain, or nested below one label, are not subdomain doors")
  void outside() {
    assertThat(doors.subdomainLabel("example.com")).isNull();
    assertThat(doors.subdomainLabel("dev.localhost")).isNull();
    assertThat(doors.subdomainLabel("a.b.dev.localhost")).isNull();
    assertThat(doors.subdomainLabel("evil-dev.localhost")).isNull();
    assertThatThrownBy(() -> doors.fromSubdomain("whatever", "/"))
        .isInstanceOfSatisfying(
            PortholeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }
}
