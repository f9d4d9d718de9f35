package io.porthole.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.config.Settings;
import io.porthole.postgres.PgSettings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every bad request is a 4xx with {"error":{"code","message"}} naming the problem, and changes
 * nothing.
 */
@ExtendWith(VertxExtension.class)
class ValidationTest {

  private static final String UNKNOWN = "ses_00000000000000000000000000";
  private static final String SNAPSHOT =
      "SELECT (SELECT count(*) FROM sessions) || ' sessions, '"
          + " || (SELECT count(*) FROM sessions WHERE status = 'ended') || ' ended, '"
          + " || (SELECT count(*) FROM exposures) || ' exposures, '"
          + " || (SELECT count(*) FROM port_allocations) || ' ports, '"
          + " || (SELECT count(*) FROM share_links) || ' shares, '"
          + " || (SELECT count(*) FROM api_keys) || ' keys'";

  private static PgSettings pg;

  @BeforeAll
  static void database() {
    pg = TestPostgres.freshDatabase();
  }

  /** One bad request and what it must answer. */
  private record Case(
      HttpMethod method,
      String path,
      boolean admin,
      Object body,
      int status,
      String code,
      String says) {}

  private static Case c(
      HttpMethod m, String path, Object body, int status, String code, String says) {
    return new Case(m, path, false, body, status, code, says);
  }

  private static List<Case> cases(String s, String ended) {
    String sessions = "/api/v1/sessions";
    String expose = sessions + "/" + s + "/expose";
    HttpMethod post = HttpMethod.POST;
    HttpMethod get = HttpMethod.GET;
    HttpMethod del = HttpMethod.DELETE;
    String bad = "invalid_request";
    JsonObject p = new JsonObject().put("port", 8080);
    List<Case> out = new ArrayList<>();
    out.add(c(post, sessions, "{\"image\":", 400, bad, "not valid JSON"));
    out.add(c(post, sessions, "[1,2]", 400, bad, "JSON object"));
    out.add(
        c(post, sessions, new JsonObject().put("imagee", "x"), 400, bad, "unknown field 'imagee'"));
    out.add(c(post, sessions, new JsonObject().put("command", "ls -l"), 400, bad, "'command'"));
    out.add(
        c(
            post,
            sessions,
            new JsonObject().put("command", new JsonArray().add(1)),
            400,
            bad,
            "'command[0]'"));
    out.add(c(post, sessions, new JsonObject().put("privileged", "yes"), 400, bad, "'privileged'"));
    out.add(
        c(
            post,
            sessions,
            new JsonObject().put("env", new JsonObject().put("A", 1)),
            400,
            bad,
            "'env.A'"));
    out.add(
        c(
            post,
            sessions,
            new JsonObject().put("labels", new JsonObject().put("porthole.session", "x")),
            400,
            bad,
            "'labels'"));
    out.add(c(post, sessions, new JsonObject().put("image", "bad image"), 400, bad, "'image'"));
    out.add(c(post, expose, "", 400, bad, "body is required"));
    out.add(c(post, expose, new JsonObject(), 400, bad, "'port' is required"));
    out.add(c(post, expose, new JsonObject().put("port", 0), 400, bad, "between 1 and 65535"));
    out.add(c(post, expose, new JsonObject().put("port", 65536), 400, bad, "between 1 and 65535"));
    out.add(c(post, expose, new JsonObject().put("port", "8080"), 400, bad, "got a string"));
    out.add(c(post, expose, "{\"port\":8080.5}", 400, bad, "'port'"));
    out.add(c(post, expose, new JsonObject().put("port", 2222), 400, bad, "reserved"));
    out.add(c(post, expose, p.copy().put("extra", 1), 400, bad, "unknown field 'extra'"));
    out.add(c(post, expose, p.copy().put("protocol", "udp"), 400, bad, "'protocol'"));
    out.add(c(post, expose, p.copy().put("name", "API_1"), 400, bad, "'name'"));
    out.add(c(post, expose, p.copy().put("name", "a".repeat(40)), 400, bad, "'name'"));
    out.add(c(post, expose, p.copy().put("name", "p8080"), 400, bad, "'name'"));
    out.add(c(post, expose, p.copy().put("visibility", "everyone"), 400, bad, "'visibility'"));
    out.add(
        c(
            post,
            expose,
            p.copy().put("policy", new JsonObject().put("idle_timeout_ms", -1)),
            400,
            bad,
            "policy.idle_timeout_ms"));
    out.add(
        c(
            post,
            expose,
            p.copy().put("policy", new JsonObject().put("timeout", 5)),
            400,
            bad,
            "'policy.timeout'"));
    out.add(c(post, expose, p.copy().put("policy", "fast"), 400, bad, "'policy'"));
    out.add(
        c(
            post,
            expose,
            p.copy()
                .put(
                    "policy",
                    new JsonObject().put("cors", new JsonObject().put("mode", "allowlist"))),
            400,
            bad,
            "allowed_origins"));
    out.add(
        c(
            post,
            expose,
            p.copy()
                .put(
                    "policy",
                    new JsonObject()
                        .put(
                            "cors",
                            new JsonObject()
                                .put("mode", "allowlist")
                                .put("allowed_origins", new JsonArray().add("javascript:x")))),
            400,
            bad,
            "allowed_origins[0]"));
    out.add(
        c(
            post,
            expose,
            p.copy().put("name", "x".repeat(5000)),
            413,
            "payload_too_large",
            "api.max_body_bytes"));
    out.add(c(post, sessions + "/" + UNKNOWN + "/expose", p, 404, "not_found", "no session"));
    out.add(c(post, sessions + "/nope/expose", p, 404, "not_found", "no session"));
    out.add(c(post, sessions + "/" + ended + "/expose", p, 409, "conflict", "ended"));
    out.add(c(del, expose + "/abc", null, 400, bad, "port in the path"));
    out.add(c(del, expose + "/70000", null, 400, bad, "port in the path"));
    out.add(c(del, expose + "/8080", null, 404, "not_found", "not exposed"));
    out.add(c(get, expose + "/0", null, 400, bad, "port in the path"));
    out.add(
        c(
            post,
            expose + "/8080/shares",
            new JsonObject().put("expires_in_s", 10),
            400,
            bad,
            "'expires_in_s'"));
    out.add(c(post, expose + "/8080/shares", new JsonObject(), 404, "not_found", "not exposed"));
    out.add(c(get, sessions + "?include_ended=maybe", null, 400, bad, "include_ended"));
    out.add(c(del, sessions + "/" + ended, null, 409, "conflict", "already ended"));
    out.add(c(get, sessions + "/" + UNKNOWN, null, 404, "not_found", "no session"));
    out.add(c(del, "/api/v1/keys/nonsense", null, 404, "not_found", "no key"));
    out.add(c(HttpMethod.PUT, sessions, new JsonObject(), 404, "not_found", "no route for PUT"));
    out.add(
        new Case(post, "/api/v1/keys", true, new JsonObject(), 400, bad, "'owner' is required"));
    out.add(
        new Case(
            post, "/api/v1/keys", true, new JsonObject().put("owner", "a b"), 400, bad, "'owner'"));
    out.add(
        new Case(
            post,
            "/api/v1/keys",
            true,
            new JsonObject().put("owner", "x").put("admin", "yes"),
            400,
            bad,
            "'admin'"));
    return out;
  }

  @Test
  @DisplayName(
      "Every malformed, unknown-field, wrong-type, out-of-range, reserved-port, unknown or ended"
          + " session and oversized request is a 4xx JSON error, and nothing changes")
  void everyBadRequest(Vertx vertx, VertxTestContext ctx) {
    JsonObject config =
        Stack.config(pg)
            .put(Settings.PORTS_RESERVED.name(), new JsonArray().add("2222"))
            .put(Settings.API_MAX_BODY_BYTES.name(), 4096);
    String[] key = new String[1];
    String[] live = new String[1];
    String[] before = new String[1];
    List<String> wrong = new ArrayList<>();
    Stack.start(vertx, pg, config)
        .compose(
            stack ->
                new FakeSandbox("sbx-v")
                    .connect(vertx, "n1", 10)
                    .compose(v -> stack.keyFor("val"))
                    .compose(
                        k -> {
                          key[0] = k;
                          return stack.session(k);
                        })
                    .compose(
                        s -> {
                          live[0] = s;
                          return stack.session(key[0]);
                        })
                    .compose(ended -> stack.delete("/api/v1/sessions/" + ended, key[0]).map(ended))
                    .compose(
                        ended ->
                            stack
                                .q(SNAPSHOT)
                                .map(
                                    snap -> {
                                      before[0] = snap.get(0);
                                      return cases(live[0], ended);
                                    }))
                    .compose(
                        all -> {
                          Future<Void> chain = Future.succeededFuture();
                          for (Case k : all) {
                            chain =
                                chain.compose(
                                    v ->
                                        stack
                                            .call(
                                                k.method(),
                                                k.path(),
                                                k.admin() ? Stack.ADMIN_KEY : key[0],
                                                k.body())
                                            .map(
                                                r -> {
                                                  JsonObject err =
                                                      r.bodyAsJsonObject() == null
                                                          ? null
                                                          : r.bodyAsJsonObject()
                                                              .getJsonObject("error");
                                                  boolean ok =
                                                      r.statusCode() == k.status()
                                                          && err != null
                                                          && k.code().equals(err.getString("code"))
                                                          && err.getString("message")
                                                              .contains(k.says());
                                                  if (!ok) {
                                                    wrong.add(
                                                        k.method()
                                                            + " "
                                                            + k.path()
                                                            + " "
                                                            + k.body()
                                                            + " → "
                                                            + r.statusCode()
                                                            + " "
                                                            + r.bodyAsString());
                                                  }
                                                  return null;
                                                }));
                          }
                          return chain;
                        })
                    .compose(v -> stack.q(SNAPSHOT)))
        .onComplete(
            ctx.succeeding(
                after ->
                    ctx.verify(
                        () -> {
                          assertThat(wrong).isEmpty();
                          assertThat(after.get(0)).isEqualTo(before[0]);
                          ctx.completeNow();
                        })));
  }
}
