package io.porthole.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.config.Settings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Nodes started in-process, clustered over Hazelcast on loopback, with a real PostgreSQL. */
@ExtendWith(VertxExtension.class)
class NodeRolesTest {

  private final List<Node> nodes = new ArrayList<>();
  private Vertx vertx;
  private WebClient client;
  private String clusterName;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    client = WebClient.create(vertx);
    clusterName = "test-" + UUID.randomUUID();
  }

  @AfterEach
  void tearDown(VertxTestContext ctx) {
    Future.join(nodes.stream().map(Node::stop).toList()).onComplete(ar -> ctx.completeNow());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private JsonObject config(String role, int clusterPort, List<Integer> members) {
    return config(role, clusterPort, members, new JsonObject());
  }

  private JsonObject config(
      String role, int clusterPort, List<Integer> members, JsonObject overrides) {
    JsonArray memberList = new JsonArray();
    members.forEach(p -> memberList.add("127.0.0.1:" + p));
    return Settings.validate(
        Settings.defaults()
            .put(Settings.ROLE.name(), role)
            .put(Settings.HTTP_HOST.name(), "127.0.0.1")
            .put(Settings.HTTP_PORT.name(), 0)
            .put(Settings.HEALTH_PORT.name(), 0)
            .put(Settings.TUNNEL_PORT.name(), 0)
            .put(Settings.METRICS_PORT.name(), 0)
            .put(Settings.PG_URL.name(), TestPostgres.freshDatabase().uri())
            .put(Settings.CLUSTER_NAME.name(), clusterName)
            .put(Settings.CLUSTER_PORT.name(), clusterPort)
            .put(Settings.CLUSTER_MEMBERS.name(), memberList)
            .mergeIn(overrides));
  }

  private Future<Node> start(Supplier<JsonObject> config) {
    return Nodes.start(vertx, config).onSuccess(nodes::add);
  }

  private Future<JsonObject> readyz(Node node) {
    return client
        .get(node.httpPort(), "127.0.0.1", "/readyz")
        .send()
        .map(r -> r.bodyAsJsonObject().put("http_status", r.statusCode()));
  }

  /**
   * Polls /readyz until the cluster check counts {@code n} members; at most {@code tries} x 100 ms.
   */
  private Future<JsonObject> membersBecome(Node node, int n, int tries) {
    return readyz(node)
        .compose(
            r -> {
              if (check(r, "cluster").getJsonObject("data").getInteger("members") == n
                  || tries <= 1) {
                return Future.succeededFuture(r);
              }
              return node.vertx().timer(100).compose(t -> membersBecome(node, n, tries - 1));
            });
  }

  private static JsonObject check(JsonObject readyz, String id) {
    return readyz.getJsonArray("checks").stream()
        .map(JsonObject.class::cast)
        .filter(c -> c.getString("id").equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check " + id + " in " + readyz));
  }

  @Test
  @DisplayName("Role api runs the registry and the API, and is ready with postgres and cluster UP")
  void apiRole(VertxTestContext ctx) throws IOException {
    int port = freePort();
    start(() -> config("api", port, List.of(port)))
        .compose(
            node -> {
              ctx.verify(
                  () ->
                      assertThat(node.verticles())
                          .containsExactly(
                              "SessionRegistryVerticle",
                              "PortAllocatorVerticle",
                              "TunnelServerVerticle",
                              "AdminVerticle",
                              "ProxyVerticle",
                              "ApiVerticle",
                              "MetricsServerVerticle"));
              return readyz(node);
            })
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.getInteger("http_status")).isEqualTo(200);
                          assertThat(check(r, "postgres").getString("status")).isEqualTo("UP");
                          assertThat(
                                  check(r, "cluster").getJsonObject("data").getInteger("members"))
                              .isEqualTo(1);
                          assertThat(
                                  r.getJsonArray("checks").stream()
                                      .map(c -> ((JsonObject) c).getString("id")))
                              .doesNotContain("docker");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Role sandbox runs the supervisor and a health server, joins the api node's cluster")
  void sandboxJoinsApi(VertxTestContext ctx) throws IOException {
    int apiPort = freePort();
    int sandboxPort = freePort();
    List<Integer> members = List.of(apiPort, sandboxPort);
    start(() -> config("api", apiPort, members))
        .compose(
            api ->
                api.vertx()
                    .eventBus()
                    .<JsonObject>request(
                        io.porthole.common.Addresses.REGISTRY_SANDBOX_ISSUE_TOKEN,
                        new JsonObject().put("sandbox_id", "sbx-roles")))
        .compose(
            token ->
                start(
                    () ->
                        config(
                            "sandbox",
                            sandboxPort,
                            members,
                            new JsonObject()
                                .put(Settings.SANDBOX_ID.name(), "sbx-roles")
                                .put(Settings.SANDBOX_TOKEN.name(), token.body().getString("token"))
                                .put(
                                    Settings.TUNNEL_URLS.name(),
                                    new JsonArray()
                                        .add(
                                            "ws://127.0.0.1:"
                                                + nodes.get(0).tunnelPort()
                                                + "/api/v1/tunnel")))))
        .compose(
            sandbox -> {
              ctx.verify(
                  () ->
                      assertThat(sandbox.verticles())
                          .containsExactly(
                              "SandboxSupervisorVerticle",
                              "TunnelClientVerticle",
                              "HealthServerVerticle",
                              "MetricsServerVerticle"));
              return Future.all(readyz(nodes.get(0)), readyz(sandbox));
            })
        .onComplete(
            ctx.succeeding(
                both ->
                    ctx.verify(
                        () -> {
                          JsonObject api = both.resultAt(0);
                          JsonObject sandbox = both.resultAt(1);
                          assertThat(
                                  check(api, "cluster").getJsonObject("data").getInteger("members"))
                              .isEqualTo(2);
                          assertThat(
                                  check(sandbox, "cluster")
                                      .getJsonObject("data")
                                      .getInteger("members"))
                              .isEqualTo(2);
                          assertThat(check(sandbox, "docker").getString("status")).isEqualTo("UP");
                          assertThat(sandbox.getInteger("http_status")).isEqualTo(200);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Role all without a cluster runs every part in one process and is ready")
  void allStandalone(VertxTestContext ctx) throws IOException {
    JsonObject config =
        config("all", freePort(), List.of(1)).put(Settings.CLUSTER_ENABLED.name(), false);
    start(() -> config)
        .compose(
            node -> {
              ctx.verify(
                  () ->
                      assertThat(node.verticles())
                          .containsExactly(
                              "SessionRegistryVerticle",
                              "PortAllocatorVerticle",
                              "TunnelServerVerticle",
                              "AdminVerticle",
                              "ProxyVerticle",
                              "ApiVerticle",
                              "SandboxSupervisorVerticle",
                              "TunnelClientVerticle",
                              "MetricsServerVerticle"));
              return readyz(node);
            })
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(r.getInteger("http_status")).isEqualTo(200);
                          assertThat(
                                  check(r, "cluster").getJsonObject("data").getBoolean("clustered"))
                              .isFalse();
                          assertThat(check(r, "docker").getString("status")).isEqualTo("UP");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A node whose PostgreSQL is unreachable fails to start and leaves nothing running")
  void failedStartCleansUp(VertxTestContext ctx) throws IOException {
    JsonObject config =
        config("api", freePort(), List.of(1))
            .put(Settings.CLUSTER_ENABLED.name(), false)
            .put(Settings.PG_URL.name(), "postgresql://porthole:x@127.0.0.1:1/porthole");
    Nodes.start(vertx, () -> config).onComplete(ctx.failing(err -> ctx.completeNow()));
  }

  @Test
  @DisplayName("A stopped node leaves the cluster: the survivor sees one member again")
  void leaveCluster(VertxTestContext ctx) throws IOException {
    int a = freePort();
    int b = freePort();
    List<Integer> members = List.of(a, b);
    start(() -> config("api", a, members))
        .compose(first -> start(() -> config("api", b, members)))
        .compose(
            second -> {
              nodes.remove(second);
              return second.stop();
            })
        .compose(v -> membersBecome(nodes.get(0), 1, 50))
        .onComplete(
            ctx.succeeding(
                r ->
                    ctx.verify(
                        () -> {
                          assertThat(
                                  check(r, "cluster").getJsonObject("data").getInteger("members"))
                              .isEqualTo(1);
                          ctx.completeNow();
                        })));
  }
}
