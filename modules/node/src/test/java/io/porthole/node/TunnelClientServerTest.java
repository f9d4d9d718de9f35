package io.porthole.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.common.config.Settings;
import io.porthole.sandbox.tunnel.SandboxEndpoint;
import io.porthole.sandbox.tunnel.TunnelClientVerticle;
import io.porthole.tunnel.carry.HttpOverTunnel;
import io.porthole.tunnel.carry.StreamTarget;
import io.porthole.tunnel.server.TunnelServerVerticle;
import io.porthole.tunnel.server.Tunnels;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.core.net.SocketAddress;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The real tunnel client (sandbox side) against the real tunnel server (API side). */
@ExtendWith(VertxExtension.class)
class TunnelClientServerTest {

  private Vertx vertx;
  private Tunnels tunnels;
  private String serverDeployment;
  private int tunnelPort;
  private HttpServer origin;
  private final AtomicInteger authAttempts = new AtomicInteger();

  private final SandboxEndpoint endpoint =
      new SandboxEndpoint() {
        @Override
        public Future<JsonObject> handle(String command, JsonObject body) {
          if (command.equals("container.list")) {
            return Future.succeededFuture(new JsonObject().put("containers", new JsonArray()));
          }
          return Future.failedFuture(new PortholeException(ErrorCode.NOT_FOUND, "no " + command));
        }

        @Override
        public Future<SocketAddress> resolveTarget(String sessionId, int port) {
          if (sessionId.equals("ses_a") && port == 8080) {
            return Future.succeededFuture(
                SocketAddress.inetSocketAddress(origin.actualPort(), "127.0.0.1"));
          }
          return Future.failedFuture(
              new PortholeException(ErrorCode.NOT_FOUND, "no session " + sessionId));
        }
      };

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    tunnels = new Tunnels();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.REGISTRY_SANDBOX_AUTHENTICATE,
            m -> {
              authAttempts.incrementAndGet();
              if ("good".equals(m.body().getString("token"))) {
                m.reply(new JsonObject());
              } else {
                m.fail(ErrorCode.UNAUTHORIZED.code(), "bad token");
              }
            });
    vertx
        .eventBus()
        .<JsonObject>consumer(Addresses.REGISTRY_SANDBOX_CONNECTED, m -> m.reply(new JsonObject()));
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.REGISTRY_SANDBOX_DISCONNECTED, m -> m.reply(new JsonObject()));
    origin =
        vertx.createHttpServer().requestHandler(req -> req.response().end("from the container"));
    origin
        .listen(0, "127.0.0.1")
        .compose(o -> deployServer(0))
        .onComplete(ctx.succeedingThenComplete());
  }

  private Future<Void> deployServer(int port) {
    return deployServer(port, new JsonObject());
  }

  private Future<Void> deployServer(int port, JsonObject extra) {
    TunnelServerVerticle server = new TunnelServerVerticle(tunnels);
    JsonObject config =
        Settings.defaults()
            .put(Settings.NODE_ID.name(), "api-1")
            .put(Settings.HTTP_HOST.name(), "127.0.0.1")
            .put(Settings.TUNNEL_PORT.name(), port)
            .mergeIn(extra);
    return vertx
        .deployVerticle(server, new DeploymentOptions().setConfig(config))
        .map(
            id -> {
              serverDeployment = id;
              tunnelPort = server.actualPort();
              return null;
            });
  }

  private Future<String> deployClient(String token) {
    return deployClient(token, new JsonObject());
  }

  private Future<String> deployClient(String token, JsonObject extra) {
    JsonObject config =
        Settings.defaults()
            .put(Settings.NODE_ID.name(), "sbx-node")
            .put(Settings.SANDBOX_ID.name(), "sbx-1")
            .put(Settings.SANDBOX_TOKEN.name(), token)
            .put(Settings.TUNNEL_CONNECTIONS.name(), 1)
            .put(Settings.TUNNEL_BACKOFF_MIN_MS.name(), 50)
            .put(Settings.TUNNEL_BACKOFF_MAX_MS.name(), 400)
            .put(
                Settings.TUNNEL_URLS.name(),
                new JsonArray().add("ws://127.0.0.1:" + tunnelPort + "/api/v1/tunnel"))
            .mergeIn(extra);
    return vertx.deployVerticle(
        new TunnelClientVerticle(endpoint), new DeploymentOptions().setConfig(config));
  }

  private Future<Void> tunnelsBecome(int n, int tries) {
    return tunnels
        .snapshot()
        .compose(
            list -> {
              if (list.size() == n) {
                return Future.succeededFuture();
              }
              if (tries <= 0) {
                return Future.failedFuture("expected " + n + " tunnels, have " + list);
              }
              return vertx.timer(50).compose(t -> tunnelsBecome(n, tries - 1));
            });
  }

  private Future<String> get(String session, int port) {
    return tunnels
        .open(
            "sbx-1",
            StreamTarget.http(session, port, "GET", "/", MultiMap.caseInsensitiveMultiMap())
                .encode())
        .compose(stream -> HttpOverTunnel.exchange(stream, null))
        .compose(
            r -> {
              Promise<String> p = Promise.promise();
              Buffer all = Buffer.buffer();
              r.body()
                  .handler(all::appendBuffer)
                  .endHandler(v -> p.complete(r.status() + " " + all));
              r.body().resume();
              return p.future();
            });
  }

  @Test
  @DisplayName("The sandbox dials out, and the API reaches its container and its commands")
  void dialsOut(VertxTestContext ctx) {
    deployClient("good")
        .compose(id -> tunnelsBecome(1, 100))
        .compose(v -> get("ses_a", 8080))
        .compose(
            body -> {
              ctx.verify(() -> assertThat(body).isEqualTo("200 from the container"));
              return vertx
                  .eventBus()
                  .<JsonObject>request(
                      Addresses.sandboxControl("sbx-1"),
                      new JsonObject()
                          .put("command", "container.list")
                          .put("body", new JsonObject()));
            })
        .onComplete(
            ctx.succeeding(
                reply ->
                    ctx.verify(
                        () -> {
                          assertThat(reply.body().getJsonArray("containers")).isEmpty();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A target the sandbox refuses comes back as the sandbox's 404")
  void refusedTarget(VertxTestContext ctx) {
    deployClient("good")
        .compose(id -> tunnelsBecome(1, 100))
        .compose(v -> get("ses_other", 8080))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err.getMessage()).contains("ses_other");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("After the API node restarts, the sandbox reconnects by itself and serves again")
  void reconnectsAfterApiRestart(VertxTestContext ctx) {
    deployClient("good")
        .compose(id -> tunnelsBecome(1, 100))
        .compose(v -> vertx.undeploy(serverDeployment))
        .compose(v -> tunnelsBecome(0, 100))
        .compose(v -> deployServer(tunnelPort))
        .compose(v -> tunnelsBecome(1, 200))
        .compose(v -> get("ses_a", 8080))
        .onComplete(
            ctx.succeeding(
                body ->
                    ctx.verify(
                        () -> {
                          assertThat(body).isEqualTo("200 from the container");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("With TLS configured, the sandbox dials wss:// and trusts only the configured CA")
  void tls(VertxTestContext ctx) {
    SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
    JsonObject tlsServer =
        new JsonObject()
            .put(Settings.TUNNEL_TLS_CERT.name(), cert.certificatePath())
            .put(Settings.TUNNEL_TLS_KEY.name(), cert.privateKeyPath());
    vertx
        .undeploy(serverDeployment)
        .compose(v -> deployServer(0, tlsServer))
        .compose(
            v ->
                deployClient(
                    "good",
                    new JsonObject()
                        .put(Settings.TUNNEL_TLS_TRUST.name(), cert.certificatePath())
                        .put(
                            Settings.TUNNEL_URLS.name(),
                            new JsonArray()
                                .add("wss://localhost:" + tunnelPort + "/api/v1/tunnel"))))
        .compose(id -> tunnelsBecome(1, 100))
        .compose(v -> get("ses_a", 8080))
        .onComplete(
            ctx.succeeding(
                body ->
                    ctx.verify(
                        () -> {
                          assertThat(body).isEqualTo("200 from the container");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A sandbox that does not trust the server's certificate never connects")
  void tlsUntrusted(VertxTestContext ctx) {
    SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
    vertx
        .undeploy(serverDeployment)
        .compose(
            v ->
                deployServer(
                    0,
                    new JsonObject()
                        .put(Settings.TUNNEL_TLS_CERT.name(), cert.certificatePath())
                        .put(Settings.TUNNEL_TLS_KEY.name(), cert.privateKeyPath())))
        .compose(
            v ->
                deployClient(
                    "good",
                    new JsonObject()
                        .put(
                            Settings.TUNNEL_URLS.name(),
                            new JsonArray()
                                .add("wss://localhost:" + tunnelPort + "/api/v1/tunnel"))))
        .compose(id -> vertx.timer(1_000))
        .compose(t -> tunnels.snapshot())
        .onComplete(
            ctx.succeeding(
                list ->
                    ctx.verify(
                        () -> {
                          assertThat(list).isEmpty();
                          assertThat(authAttempts.get()).isZero();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A refused token never yields a tunnel; the client keeps retrying with backoff")
  void refusedToken(VertxTestContext ctx) {
    deployClient("bad")
        .compose(id -> vertx.timer(1_500))
        .compose(t -> tunnels.snapshot())
        .onComplete(
            ctx.succeeding(
                list ->
                    ctx.verify(
                        () -> {
                          assertThat(list).isEmpty();
                          // backoff 50..400 ms: a few attempts in 1.5 s, not hundreds
                          assertThat(authAttempts.get()).isBetween(2, 20);
                          ctx.completeNow();
                        })));
  }
}
