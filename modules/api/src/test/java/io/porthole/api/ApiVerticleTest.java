package io.porthole.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.config.Settings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class ApiVerticleTest {

  private WebClient client;
  private HealthChecks health;
  private ApiVerticle api;
  private final AtomicBoolean dbUp = new AtomicBoolean(true);

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext ctx) {
    client = WebClient.create(vertx);
    health = HealthChecks.create(vertx);
    // a stand-in check: what is under test is how the API reports checks, not PostgreSQL
    health.register("postgres", p -> p.complete(dbUp.get() ? Status.OK() : Status.KO()));
    api = new ApiVerticle(health);
    JsonObject config =
        Settings.defaults()
            .put(Settings.HTTP_HOST.name(), "127.0.0.1")
            .put(Settings.HTTP_PORT.name(), 0)
            .put(Settings.NODE_ID.name(), "n1");
    vertx
        .deployVerticle(api, new DeploymentOptions().setConfig(config))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("/healthz answers 200 with the node id")
  void healthz(VertxTestContext ctx) {
    client
        .get(api.actualPort(), "127.0.0.1", "/healthz")
        .send()
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(200);
                          assertThat(r.bodyAsJsonObject().getString("node")).isEqualTo("n1");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("/readyz is 200 naming each check while all are UP, 503 naming the one that is DOWN")
  void readyz(VertxTestContext ctx) {
    client
        .get(api.actualPort(), "127.0.0.1", "/readyz")
        .send()
        .compose(
            up -> {
              ctx.verify(
                  () -> {
                    assertThat(up.statusCode()).isEqualTo(200);
                    assertThat(up.bodyAsJsonObject().getString("status")).isEqualTo("UP");
                    assertThat(up.bodyAsString())
                        .contains("\"id\":\"postgres\"")
                        .contains("\"id\":\"http\"");
                  });
              dbUp.set(false);
              return client.get(api.actualPort(), "127.0.0.1", "/readyz").send();
            })
        .onComplete(
            ctx.succeeding(
                down ->
                    ctx.verify(
                        () -> {
                          assertThat(down.statusCode()).isEqualTo(503);
                          JsonObject body = down.bodyAsJsonObject();
                          assertThat(body.getString("status")).isEqualTo("DOWN");
                          assertThat(
                                  body.getJsonArray("checks").stream().map(JsonObject.class::cast))
                              .anySatisfy(
                                  c -> {
                                    assertThat(c.getString("id")).isEqualTo("postgres");
                                    assertThat(c.getString("status")).isEqualTo("DOWN");
                                  });
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("An unknown route is a 404 with a JSON error body")
  void notFound(VertxTestContext ctx) {
    client
        .get(api.actualPort(), "127.0.0.1", "/api/v1/nothing-here")
        .send()
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(404);
                          assertThat(r.getHeader("content-type")).isEqualTo("application/json");
                          assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code"))
                              .isEqualTo("not_found");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Undeploying closes the listener: new connections are refused")
  void gracefulStop(Vertx vertx, VertxTestContext ctx) {
    int port = api.actualPort();
    vertx
        .undeploy(vertx.deploymentIDs().iterator().next())
        .compose(v -> client.get(port, "127.0.0.1", "/healthz").send())
        .onComplete(ctx.failing(err -> ctx.completeNow()));
  }

  @Test
  @DisplayName("With a certificate configured the server speaks TLS and HTTP/2 via ALPN")
  void tlsAndHttp2(Vertx vertx, VertxTestContext ctx) {
    SelfSignedCertificate cert = SelfSignedCertificate.create("dev.localhost");
    JsonObject config =
        Settings.defaults()
            .put(Settings.HTTP_HOST.name(), "127.0.0.1")
            .put(Settings.HTTP_PORT.name(), 0)
            .put(Settings.NODE_ID.name(), "n2")
            .put(Settings.HTTP_TLS_CERT.name(), cert.certificatePath())
            .put(Settings.HTTP_TLS_KEY.name(), cert.privateKeyPath());
    ApiVerticle tls = new ApiVerticle(HealthChecks.create(vertx));
    WebClient h2 =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setSsl(true)
                .setTrustOptions(cert.trustOptions())
                .setVerifyHost(false)
                .setUseAlpn(true)
                .setProtocolVersion(HttpVersion.HTTP_2));
    vertx
        .deployVerticle(tls, new DeploymentOptions().setConfig(config))
        .compose(id -> h2.get(tls.actualPort(), "127.0.0.1", "/healthz").send())
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.statusCode()).isEqualTo(200);
                          assertThat(r.version()).isEqualTo(HttpVersion.HTTP_2);
                          assertThat(r.bodyAsJsonObject().getString("node")).isEqualTo("n2");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("An oversized header gets a 431 with a JSON body naming the problem")
  void oversizedHeader(Vertx vertx, VertxTestContext ctx) {
    Buffer received = Buffer.buffer();
    vertx
        .createNetClient()
        .connect(api.actualPort(), "127.0.0.1")
        .onComplete(
            ctx.succeeding(
                sock -> {
                  sock.handler(received::appendBuffer);
                  sock.closeHandler(
                      v ->
                          ctx.verify(
                              () -> {
                                String reply = received.toString();
                                assertThat(reply).startsWith("HTTP/1.1 431");
                                assertThat(reply)
                                    .contains("\"code\":\"request_headers_too_large\"");
                                ctx.completeNow();
                              }));
                  sock.write(
                      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
                          + "a".repeat(64 * 1024)
                          + "\r\n\r\n");
                }));
  }
}
