package io.porthole.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.common.config.Settings;
import io.porthole.postgres.PgSettings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two clustered nodes on loopback sharing one PostgreSQL: node A (api) holds no tunnel, node B
 * (all) holds the sandbox's. Requests that land on A reach the container through B.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 180, timeUnit = TimeUnit.SECONDS)
class CrossNodeTest {

  private static final String ADMIN_KEY = "phk_cross-node-admin-key-0123456789";
  private static final String INDEX = "Hello from a Porthole dev container";

  private final List<Node> nodes = new ArrayList<>();
  private Vertx vertx;
  private WebClient client;
  private NetClient net;
  private String sandboxId;
  private String session;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private JsonObject config(
      String role, String host, int clusterPort, List<Integer> members, PgSettings pg) {
    JsonArray memberList = new JsonArray();
    members.forEach(p -> memberList.add("127.0.0.1:" + p));
    return Settings.validate(
        Settings.defaults()
            .put(Settings.ROLE.name(), role)
            .put(Settings.HTTP_HOST.name(), host)
            .put(Settings.HTTP_PORT.name(), 0)
            .put(Settings.TUNNEL_PORT.name(), 0)
            .put(Settings.METRICS_PORT.name(), 0)
            .put(Settings.SANDBOX_ID.name(), sandboxId)
            .put(Settings.BOOTSTRAP_ADMIN_KEY.name(), ADMIN_KEY)
            .put(Settings.PG_URL.name(), pg.uri())
            .put(Settings.CLUSTER_NAME.name(), "cross-" + sandboxId)
            .put(Settings.CLUSTER_PORT.name(), clusterPort)
            .put(Settings.CLUSTER_MEMBERS.name(), memberList));
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) throws IOException {
    this.vertx = vertx;
    client = WebClient.create(vertx);
    net = vertx.createNetClient();
    sandboxId = "sbx-x" + UUID.randomUUID().toString().substring(0, 8);
    PgSettings pg = TestPostgres.freshDatabase();
    int a = freePort();
    int b = freePort();
    List<Integer> members = List.of(a, b);
    Nodes.start(vertx, () -> config("api", "127.0.0.2", a, members, pg))
        .compose(
            nodeA -> {
              nodes.add(nodeA);
              // B's sandbox dials B first; A is where it goes when B drains
              return Nodes.start(
                  vertx,
                  () ->
                      config("all", "127.0.0.3", b, members, pg)
                          .put(
                              Settings.TUNNEL_URLS.name(),
                              new JsonArray()
                                  .add("ws://127.0.0.2:" + nodeA.tunnelPort() + "/api/v1/tunnel"))
                          .put(Settings.TUNNEL_CONNECTIONS.name(), 1));
            })
        .compose(
            nodeB -> {
              nodes.add(nodeB);
              // node A sees the sandbox (through the cluster) once B's tunnel is up
              return until(
                  () ->
                      nodes
                          .get(0)
                          .vertx()
                          .eventBus()
                          .<JsonObject>request(Addresses.sandboxRoute(sandboxId), null),
                  200);
            })
        .onComplete(ctx.succeedingThenComplete());
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    Future<Void> end =
        session == null
            ? Future.succeededFuture()
            : client
                .delete(nodes.get(0).httpPort(), "127.0.0.2", "/api/v1/sessions/" + session)
                .bearerTokenAuthentication(ADMIN_KEY)
                .send()
                .mapEmpty();
    end.transform(ar -> Future.join(nodes.stream().map(Node::stop).toList()))
        .transform(ar -> DockerLeftovers.remove(vertx, sandboxId))
        .onComplete(ar -> ctx.completeNow());
  }

  private <T> Future<T> until(Supplier<Future<T>> attempt, int tries) {
    return attempt
        .get()
        .recover(
            err ->
                tries <= 1
                    ? Future.failedFuture(err)
                    : vertx.timer(100).compose(t -> until(attempt, tries - 1)));
  }

  private Future<HttpResponse<Buffer>> ok(String host, int port, String uri) {
    return until(
        () ->
            client
                .get(port, host, uri)
                .bearerTokenAuthentication(ADMIN_KEY)
                .timeout(10_000)
                .send()
                .compose(
                    r ->
                        r.statusCode() == 200
                            ? Future.succeededFuture(r)
                            : Future.failedFuture(r.statusCode() + " " + r.bodyAsString())),
        100);
  }

  @Test
  @DisplayName("A request on node A reaches the container through the tunnel node B holds")
  void requestOnATunnelOnB(VertxTestContext ctx) {
    Node nodeA = nodes.get(0);
    int apiA = nodeA.httpPort();
    JsonObject[] exposure = new JsonObject[1];
    // a web server on 8080, and a raw TCP echo on 9000 for a tcp exposure
    Sessions.create(
            client,
            apiA,
            "127.0.0.2",
            ADMIN_KEY,
            "/bin/httpd -p 8080 -h /www; exec /bin/nc -ll -p 9000 -e /bin/cat")
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201));
              session = r.bodyAsJsonObject().getString("id");
              return client
                  .post(apiA, "127.0.0.2", "/api/v1/sessions/" + session + "/expose")
                  .bearerTokenAuthentication(ADMIN_KEY)
                  .sendJsonObject(new JsonObject().put("port", 8080).put("protocol", "http"));
            })
        .compose(
            r -> {
              exposure[0] = r.bodyAsJsonObject();
              return ok("127.0.0.2", apiA, "/api/v1/sessions/" + session + "/proxy/8080/");
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.bodyAsString()).contains(INDEX));
              // port mode: node A listens on the allocated port too, on its own address
              return ok("127.0.0.2", exposure[0].getInteger("allocated_port"), "/");
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.bodyAsString()).contains(INDEX));
              // raw TCP on node A's allocated port crosses to B over a connection of its own
              return client
                  .post(apiA, "127.0.0.2", "/api/v1/sessions/" + session + "/expose")
                  .bearerTokenAuthentication(ADMIN_KEY)
                  .sendJsonObject(new JsonObject().put("port", 9000).put("protocol", "tcp"));
            })
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201));
              int tcpPort = r.bodyAsJsonObject().getInteger("allocated_port");
              return until(() -> echo("127.0.0.2", tcpPort, "raw bytes across\n"), 50);
            })
        .onComplete(
            ctx.succeeding(
                echoed ->
                    ctx.verify(
                        () -> {
                          assertThat(echoed).isEqualTo("raw bytes across\n");
                          ctx.completeNow();
                        })));
  }

  /** Writes {@code text} on a raw TCP connection and returns what comes back (bounded: 5 s). */
  private Future<String> echo(String host, int port, String text) {
    Promise<String> p = Promise.promise();
    net.connect(port, host)
        .onFailure(p::tryFail)
        .onSuccess(
            sock -> {
              Buffer got = Buffer.buffer();
              long timer = vertx.setTimer(5_000, t -> p.tryFail("no echo within 5 s: " + got));
              sock.handler(
                  b -> {
                    got.appendBuffer(b);
                    if (got.length() >= text.length()) {
                      vertx.cancelTimer(timer);
                      p.tryComplete(got.toString());
                      sock.close();
                    }
                  });
              sock.closeHandler(v -> p.tryFail("closed after " + got.length() + " bytes"));
              sock.write(text);
            });
    return p.future();
  }

  @Test
  @DisplayName(
      "Draining the node that holds the tunnel: its in-flight request finishes, readiness turns"
          + " down, the sandbox moves to the other node and requests keep working there")
  void drainMovesTheTunnel(VertxTestContext ctx) {
    Node nodeA = nodes.get(0);
    Node nodeB = nodes.get(1);
    int apiA = nodeA.httpPort();
    String slow = "/api/v1/sessions/%s/proxy/8080/cgi-bin/slow";
    // a page that takes 2 s: in flight while the node drains
    Sessions.create(
            client,
            apiA,
            "127.0.0.2",
            ADMIN_KEY,
            "mkdir -p /www/cgi-bin && printf '#!/bin/sh\\nprintf \"Content-Type:"
                + " text/plain\\\\r\\\\n\\\\r\\\\n\"\\nsleep 2\\necho slow done\\n' >"
                + " /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow && exec"
                + " /bin/httpd -f -p 8080 -h /www")
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201));
              session = r.bodyAsJsonObject().getString("id");
              return client
                  .post(apiA, "127.0.0.2", "/api/v1/sessions/" + session + "/expose")
                  .bearerTokenAuthentication(ADMIN_KEY)
                  .sendJsonObject(new JsonObject().put("port", 8080).put("protocol", "http"));
            })
        .compose(r -> ok("127.0.0.2", apiA, "/api/v1/sessions/" + session + "/proxy/8080/"))
        .compose(
            r -> {
              // the slow request enters A and rides B's tunnel; B drains meanwhile
              Future<HttpResponse<Buffer>> inFlight =
                  client
                      .get(apiA, "127.0.0.2", String.format(slow, session))
                      .bearerTokenAuthentication(ADMIN_KEY)
                      .timeout(20_000)
                      .send();
              Future<HttpResponse<Buffer>> drain =
                  vertx
                      .timer(500)
                      .compose(
                          t ->
                              client
                                  .post(
                                      apiA,
                                      "127.0.0.2",
                                      "/api/v1/admin/nodes/" + nodeB.id() + "/drain")
                                  .bearerTokenAuthentication(ADMIN_KEY)
                                  .send());
              return Future.all(inFlight, drain)
                  .map(all -> new Object[] {all.resultAt(0), all.resultAt(1)});
            })
        .compose(
            both -> {
              @SuppressWarnings("unchecked")
              HttpResponse<Buffer> slowReply = (HttpResponse<Buffer>) both[0];
              @SuppressWarnings("unchecked")
              HttpResponse<Buffer> drainReply = (HttpResponse<Buffer>) both[1];
              ctx.verify(
                  () -> {
                    assertThat(drainReply.statusCode())
                        .as(drainReply.bodyAsString())
                        .isEqualTo(200);
                    assertThat(drainReply.bodyAsJsonObject().getString("status"))
                        .isEqualTo("draining");
                    assertThat(slowReply.statusCode()).isEqualTo(200);
                    assertThat(slowReply.bodyAsString()).contains("slow done");
                  });
              return nodeB.drained();
            })
        .compose(
            v ->
                client
                    .get(nodeB.httpPort(), "127.0.0.3", "/readyz")
                    .send()
                    .map(
                        r -> {
                          ctx.verify(
                              () -> {
                                assertThat(r.statusCode()).isEqualTo(503);
                                assertThat(r.bodyAsString()).contains("draining");
                              });
                          return r;
                        }))
        // the sandbox reconnects to A: requests entering A work again, through A's own tunnel
        .compose(r -> ok("127.0.0.2", apiA, "/api/v1/sessions/" + session + "/proxy/8080/"))
        .compose(
            r -> {
              ctx.verify(() -> assertThat(r.bodyAsString()).contains(INDEX));
              return ok("127.0.0.2", apiA, "/api/v1/admin/tunnels");
            })
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          JsonArray tunnels = r.bodyAsJsonObject().getJsonArray("tunnels");
                          assertThat(
                                  tunnels.stream().map(t -> ((JsonObject) t).getString("node_id")))
                              .containsOnly(nodeA.id());
                          ctx.completeNow();
                        })));
  }
}
