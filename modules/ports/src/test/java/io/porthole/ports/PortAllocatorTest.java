package io.porthole.ports;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.porthole.common.config.Settings;
import io.porthole.postgres.PgSettings;
import io.porthole.registry.Migrations;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class PortAllocatorTest {

  private static PgSettings pg;
  private final List<Vertx> extra = new ArrayList<>();
  private final List<ServerSocket> held = new ArrayList<>();

  @BeforeAll
  static void schema() {
    pg = TestPostgres.freshDatabase();
    Migrations.migrate(pg);
  }

  @BeforeEach
  void clean() throws SQLException {
    sql("TRUNCATE sessions, exposures, port_allocations CASCADE");
  }

  @AfterEach
  void release(VertxTestContext ctx) throws IOException {
    for (ServerSocket s : held) {
      s.close();
    }
    Future.all(extra.stream().map(Vertx::close).toList()).onComplete(ctx.succeedingThenComplete());
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static List<Integer> allocatedPorts() throws SQLException {
    List<Integer> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT port FROM port_allocations ORDER BY port")) {
      while (rs.next()) {
        out.add(rs.getInt(1));
      }
    }
    return out;
  }

  /** Runs checks that read the database with JDBC on a worker: never on the event loop. */
  private static Future<Void> verifyOnWorker(
      Vertx vertx, VertxTestContext ctx, VertxTestContext.ExecutionBlock checks) {
    return vertx.executeBlocking(
        () -> {
          ctx.verify(checks);
          return null;
        },
        false);
  }

  /** A session of {@code owner} with exposures of container ports 1..n. */
  private static String exposures(String owner, int n) throws SQLException {
    String id = "ses_" + owner + ThreadLocalRandom.current().nextInt(1_000_000);
    sql(
        "INSERT INTO sessions (id, owner, status) VALUES ('"
            + id
            + "', '"
            + owner
            + "', 'running')");
    sql(
        "INSERT INTO exposures (session_id, port, protocol) SELECT '"
            + id
            + "', p, 'http' FROM generate_series(1, "
            + n
            + ") p");
    return id;
  }

  private static JsonObject config(int first, int last) {
    return Settings.defaults()
        .put(Settings.PG_URL.name(), pg.uri())
        .put(Settings.HTTP_HOST.name(), "127.0.0.1")
        .put(Settings.PORTS_RANGE_START.name(), first)
        .put(Settings.PORTS_RANGE_END.name(), last)
        .put(Settings.QUOTA_PORTS_PER_OWNER.name(), 1000);
  }

  private static Future<String> deploy(Vertx vertx, JsonObject config, HostPorts host) {
    return vertx.deployVerticle(
        new PortAllocatorVerticle(host), new DeploymentOptions().setConfig(config));
  }

  private static Future<JsonObject> allocate(Vertx vertx, String session, int target) {
    return vertx
        .eventBus()
        .<JsonObject>request(
            Addresses.PORTS_ALLOCATE,
            new JsonObject()
                .put("session_id", session)
                .put("target_port", target)
                .put("owner", session.substring(4, 9))
                .put("protocol", "http"))
        .map(m -> m.body());
  }

  private static ErrorCode code(Throwable err) {
    return err instanceof ReplyException ? ErrorCode.of(err) : ErrorCode.INTERNAL;
  }

  @Test
  @DisplayName(
      "Three nodes racing for a 20-port range hand out 20 distinct ports, then 503, never a"
          + " duplicate")
  void raceAcrossNodes(Vertx vertx, VertxTestContext ctx) throws SQLException {
    String session = exposures("alice", 30);
    JsonObject config = config(45100, 45119);
    List<Vertx> nodes = List.of(vertx, Vertx.vertx(), Vertx.vertx());
    extra.addAll(nodes.subList(1, 3));
    AtomicInteger events = new AtomicInteger();
    nodes.forEach(
        n -> n.eventBus().consumer(Addresses.PORTS_ALLOCATED, m -> events.incrementAndGet()));
    // one node after the other: three new Vert.x instances warming up at once on two CPUs hold
    // each other's event loops in class loading for hundreds of ms; the race is the allocations
    Future<String> deployed = Future.succeededFuture();
    for (Vertx n : nodes) {
      deployed = deployed.compose(id -> deploy(n, config, port -> Future.succeededFuture(true)));
    }
    deployed
        .compose(
            v -> {
              List<Future<JsonObject>> all = new ArrayList<>();
              for (int target = 1; target <= 30; target++) {
                all.add(allocate(nodes.get(target % 3), session, target));
              }
              return Future.join(all).transform(ar -> Future.succeededFuture(all));
            })
        .onComplete(
            ctx.succeeding(
                all ->
                    verifyOnWorker(
                        vertx,
                        ctx,
                        () -> {
                          List<Integer> ports = new ArrayList<>();
                          List<ErrorCode> failures = new ArrayList<>();
                          for (Future<JsonObject> f : all) {
                            if (f.succeeded()) {
                              ports.add(f.result().getInteger("port"));
                            } else {
                              failures.add(code(f.cause()));
                            }
                          }
                          assertThat(ports).hasSize(20).doesNotHaveDuplicates();
                          assertThat(ports).allMatch(p -> p >= 45100 && p <= 45119);
                          assertThat(failures).hasSize(10).containsOnly(ErrorCode.UNAVAILABLE);
                          assertThat(allocatedPorts()).containsExactlyInAnyOrderElementsOf(ports);
                          assertThat(events.get()).isEqualTo(20);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Asking again for an exposure that has a port returns the same port")
  void idempotent(Vertx vertx, VertxTestContext ctx) throws SQLException {
    String session = exposures("bobby", 1);
    deploy(vertx, config(45200, 45299), port -> Future.succeededFuture(true))
        .compose(id -> allocate(vertx, session, 1))
        .compose(
            first ->
                allocate(vertx, session, 1)
                    .map(second -> List.of(first.getInteger("port"), second.getInteger("port"))))
        .onComplete(
            ctx.succeeding(
                ports ->
                    verifyOnWorker(
                        vertx,
                        ctx,
                        () -> {
                          assertThat(ports.get(0)).isEqualTo(ports.get(1));
                          assertThat(allocatedPorts()).containsExactly(ports.get(0));
                          ctx.completeNow();
                        })));
  }

  /** Two consecutive ports that are free on this host now (bounded search). */
  private static int freePair() throws IOException {
    for (int i = 0; i < 200; i++) {
      int p = 46000 + ThreadLocalRandom.current().nextInt(4000);
      try (ServerSocket a = new ServerSocket();
          ServerSocket b = new ServerSocket()) {
        a.bind(new InetSocketAddress("127.0.0.1", p));
        b.bind(new InetSocketAddress("127.0.0.1", p + 1));
        return p;
      } catch (IOException busy) {
        // try another pair
      }
    }
    throw new IOException("no two consecutive free ports found");
  }

  @Test
  @DisplayName("A port in use on the host is skipped; with every port busy the answer is 503")
  void busyHostPorts(Vertx vertx, VertxTestContext ctx) throws Exception {
    String session = exposures("carol", 2);
    int p = freePair();
    ServerSocket busy = new ServerSocket();
    busy.bind(new InetSocketAddress("127.0.0.1", p));
    held.add(busy);
    deploy(vertx, config(p, p + 1), null)
        .compose(id -> allocate(vertx, session, 1))
        .compose(
            got -> {
              ctx.verify(() -> assertThat(got.getInteger("port")).isEqualTo(p + 1));
              return allocate(vertx, session, 2);
            })
        .onComplete(
            ctx.failing(
                err ->
                    verifyOnWorker(
                        vertx,
                        ctx,
                        () -> {
                          assertThat(code(err)).isEqualTo(ErrorCode.UNAVAILABLE);
                          assertThat(err.getMessage()).contains("in use on this host");
                          assertThat(allocatedPorts()).containsExactly(p + 1);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Reserved ports are never handed out; a range left empty by them is a 503")
  void reserved(Vertx vertx, VertxTestContext ctx) throws SQLException {
    String session = exposures("dave0", 2);
    JsonObject config =
        config(45300, 45303)
            .put(Settings.PORTS_RESERVED.name(), new JsonArray().add("45300-45301").add("45303"));
    deploy(vertx, config, port -> Future.succeededFuture(true))
        .compose(id -> allocate(vertx, session, 1))
        .compose(
            got -> {
              ctx.verify(() -> assertThat(got.getInteger("port")).isEqualTo(45302));
              return allocate(vertx, session, 2);
            })
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(code(err)).isEqualTo(ErrorCode.UNAVAILABLE);
                          assertThat(err.getMessage()).contains("allocated or reserved");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("An owner over quota.ports_per_owner gets 429 and no port")
  void quota(Vertx vertx, VertxTestContext ctx) throws SQLException {
    String session = exposures("erin0", 3);
    JsonObject config = config(45400, 45499).put(Settings.QUOTA_PORTS_PER_OWNER.name(), 2);
    deploy(vertx, config, port -> Future.succeededFuture(true))
        .compose(id -> allocate(vertx, session, 1))
        .compose(a -> allocate(vertx, session, 2))
        .compose(a -> allocate(vertx, session, 3))
        .onComplete(
            ctx.failing(
                err ->
                    verifyOnWorker(
                        vertx,
                        ctx,
                        () -> {
                          assertThat(code(err)).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
                          assertThat(err.getMessage()).contains("quota.ports_per_owner");
                          assertThat(allocatedPorts()).hasSize(2);
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A port for an exposure that does not exist is refused, nothing allocated")
  void noExposure(Vertx vertx, VertxTestContext ctx) throws SQLException {
    String session = exposures("frank", 1);
    deploy(vertx, config(45500, 45509), port -> Future.succeededFuture(true))
        .compose(id -> allocate(vertx, session, 2))
        .onComplete(
            ctx.failing(
                err ->
                    verifyOnWorker(
                        vertx,
                        ctx,
                        () -> {
                          assertThat(code(err)).isEqualTo(ErrorCode.NOT_FOUND);
                          assertThat(allocatedPorts()).isEmpty();
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Allocations are rows: a restarted allocator lists them and keeps them")
  void survivesRestart(Vertx vertx, VertxTestContext ctx) throws SQLException {
    String session = exposures("gwen0", 2);
    JsonObject config = config(45600, 45609);
    List<Integer> before = new ArrayList<>();
    deploy(vertx, config, port -> Future.succeededFuture(true))
        .compose(
            id -> allocate(vertx, session, 1).map(a -> before.add(a.getInteger("port"))).map(id))
        .compose(vertx::undeploy)
        .compose(v -> deploy(vertx, config, port -> Future.succeededFuture(true)))
        .compose(id -> vertx.eventBus().<JsonObject>request(Addresses.PORTS_LIST, new JsonObject()))
        .compose(
            list -> {
              ctx.verify(
                  () ->
                      assertThat(
                              list.body()
                                  .getJsonArray("allocations")
                                  .getJsonObject(0)
                                  .getInteger("port"))
                          .isEqualTo(before.get(0)));
              return allocate(vertx, session, 1);
            })
        .onComplete(
            ctx.succeeding(
                again ->
                    ctx.verify(
                        () -> {
                          assertThat(again.getInteger("port")).isEqualTo(before.get(0));
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A range whose end is below its start fails start-up, naming the key")
  void badRange(Vertx vertx, VertxTestContext ctx) {
    deploy(vertx, config(40000, 30000), null)
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err.getMessage()).contains("ports.range_end");
                          ctx.completeNow();
                        })));
  }
}
