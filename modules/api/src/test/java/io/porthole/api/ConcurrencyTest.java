package io.porthole.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.Addresses;
import io.porthole.common.config.Settings;
import io.porthole.postgres.PgSettings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Many clients at once on one session's ports: one wins, and the state stays consistent. */
@ExtendWith(VertxExtension.class)
class ConcurrencyTest {

  private static final int CLIENTS = 16;
  private static final int ROUNDS = 6;

  private static PgSettings pg;
  private Stack stack;
  private String key;
  private String session;

  /** What a node listening to allocated/freed events would have bound: port → allocation id. */
  private final Map<Integer, Long> bound = new ConcurrentHashMap<>();

  private final Set<Long> freedIds = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void database() {
    pg = TestPostgres.freshDatabase();
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) {
    // a listener as the proxy would keep one: an allocation freed before its "allocated" event
    // arrives is never bound (events of one allocation may cross)
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.PORTS_ALLOCATED,
            m -> {
              long id = m.body().getLong("allocation_id");
              if (!freedIds.contains(id)) {
                bound.put(m.body().getInteger("port"), id);
              }
            });
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.PORTS_FREED,
            m -> {
              freedIds.add(m.body().getLong("allocation_id"));
              bound.remove(m.body().getInteger("port"), m.body().getLong("allocation_id"));
            });
    Stack.start(vertx, pg, Stack.config(pg).put(Settings.QUOTA_EXPOSURES_PER_SESSION.name(), 5))
        .compose(
            s -> {
              stack = s;
              return s.q("WITH d AS (DELETE FROM sandbox_connections RETURNING 1) SELECT 1");
            })
        .compose(v -> new FakeSandbox("sbx-race").connect(vertx, "n1", 100))
        .compose(v -> stack.keyFor("racer"))
        .compose(
            k -> {
              key = k;
              return stack.session(k);
            })
        .onComplete(
            ctx.succeeding(
                s -> {
                  session = s;
                  ctx.completeNow();
                }));
  }

  private String expose() {
    return "/api/v1/sessions/" + session + "/expose";
  }

  @Test
  @DisplayName(
      "16 clients exposing the same port at once: one 201, the rest 200 with the same host port,"
          + " one row, one allocation")
  void sameExposeAtOnce(VertxTestContext ctx) {
    JsonObject body = new JsonObject().put("port", 8080).put("name", "web");
    List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      all.add(stack.post(expose(), key, body));
    }
    Future.all(all)
        .compose(v -> Stack.eventually(stack.vertx, () -> !bound.isEmpty()))
        .compose(
            v ->
                stack.q(
                    "SELECT e.status || ':' || a.port FROM exposures e JOIN port_allocations a"
                        + " ON a.session_id = e.session_id AND a.target_port = e.port"
                        + " WHERE e.session_id = '"
                        + session
                        + "'"))
        .onComplete(
            ctx.succeeding(
                rows ->
                    ctx.verify(
                        () -> {
                          List<Integer> statuses = new ArrayList<>();
                          Set<Integer> hostPorts = ConcurrentHashMap.newKeySet();
                          for (Future<HttpResponse<Buffer>> f : all) {
                            statuses.add(f.result().statusCode());
                            hostPorts.add(
                                f.result().bodyAsJsonObject().getInteger("allocated_port"));
                          }
                          assertThat(statuses).filteredOn(s -> s == 201).hasSize(1);
                          assertThat(statuses).filteredOn(s -> s == 200).hasSize(CLIENTS - 1);
                          assertThat(hostPorts).hasSize(1);
                          assertThat(rows).containsExactly("active:" + hostPorts.iterator().next());
                          assertThat(bound).containsOnlyKeys(hostPorts);
                          ctx.completeNow();
                        })));
  }

  /** One client: expose, unexpose, expose, ... for a bounded number of rounds. */
  private Future<List<Integer>> flip(int client) {
    List<Integer> seen = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int round = 0; round < ROUNDS; round++) {
      boolean expose = (round + client) % 2 == 0;
      chain =
          chain.compose(
              v ->
                  (expose
                          ? stack.post(expose(), key, new JsonObject().put("port", 9000))
                          : stack.delete(expose() + "/9000", key))
                      .map(
                          r -> {
                            seen.add(r.statusCode());
                            return null;
                          }));
    }
    return chain.map(v -> seen);
  }

  @Test
  @DisplayName(
      "16 clients exposing and unexposing one port at once leave it exposed once with one host"
          + " port, or not at all with none; what listeners bound matches")
  void exposeAndUnexposeAtOnce(VertxTestContext ctx) {
    List<Future<List<Integer>>> all = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      all.add(flip(c));
    }
    Map<Integer, Integer> byStatus = new TreeMap<>();
    Future.all(all)
        .compose(
            v -> {
              all.forEach(f -> f.result().forEach(s -> byStatus.merge(s, 1, Integer::sum)));
              return settled();
            })
        .compose(
            rows -> {
              ctx.verify(
                  () -> {
                    assertThat(byStatus.keySet()).isSubsetOf(200, 201, 204, 404, 409);
                    assertThat(byStatus.values().stream().mapToInt(Integer::intValue).sum())
                        .isEqualTo(CLIENTS * ROUNDS);
                    assertConsistent(rows);
                  });
              // after the storm the port is as usable as ever
              return stack.post(expose(), key, new JsonObject().put("port", 9000));
            })
        .compose(
            last -> {
              ctx.verify(() -> assertThat(last.statusCode()).isIn(200, 201));
              return settled();
            })
        .onComplete(
            ctx.succeeding(
                rows ->
                    ctx.verify(
                        () -> {
                          assertThat(rows).hasSize(1);
                          assertConsistent(rows);
                          ctx.completeNow();
                        })));
  }

  /** The exposures of port 9000 and any orphan allocations, once the listeners agree with them. */
  private Future<List<String>> settled() {
    String sql =
        "SELECT e.status || ':' || coalesce(a.port::text, '-') FROM exposures e"
            + " LEFT JOIN port_allocations a ON a.session_id = e.session_id"
            + " AND a.target_port = e.port WHERE e.session_id = '"
            + session
            + "' UNION ALL SELECT 'orphan:' || port FROM port_allocations a"
            + " WHERE NOT EXISTS (SELECT 1 FROM exposures e WHERE e.session_id ="
            + " a.session_id AND e.port = a.target_port)";
    List<List<String>> last = new ArrayList<>();
    return stack
        .q(sql)
        .compose(
            rows -> {
              last.add(rows);
              // events may still be on their way: wait (bounded) until what was bound matches
              return Stack.eventually(stack.vertx, () -> bound.keySet().equals(ports(rows)))
                  .recover(err -> Future.succeededFuture())
                  .map(v -> rows);
            });
  }

  private static Set<Integer> ports(List<String> rows) {
    Set<Integer> out = new java.util.HashSet<>();
    for (String r : rows) {
      String p = r.substring(r.indexOf(':') + 1);
      if (!p.equals("-")) {
        out.add(Integer.parseInt(p));
      }
    }
    return out;
  }

  /** At most one exposure, active with one host port (or none), and the listeners agree. */
  private void assertConsistent(List<String> rows) {
    assertThat(rows).hasSizeLessThanOrEqualTo(1);
    if (rows.isEmpty()) {
      assertThat(bound).isEmpty();
    } else {
      assertThat(rows.get(0)).matches("^active:[0-9]+$");
      assertThat(bound).containsOnlyKeys(ports(rows));
    }
  }

  @Test
  @DisplayName(
      "12 different ports exposed at once against a quota of 5: exactly 5 succeed, the rest 429")
  void quotaUnderRace(VertxTestContext ctx) {
    List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      all.add(stack.post(expose(), key, new JsonObject().put("port", 7000 + i)));
    }
    Future.all(all)
        .compose(
            v -> stack.n("SELECT count(*) FROM exposures WHERE session_id = '" + session + "'"))
        .onComplete(
            ctx.succeeding(
                n ->
                    ctx.verify(
                        () -> {
                          assertThat(all)
                              .filteredOn(f -> f.result().statusCode() == 201)
                              .hasSize(5);
                          assertThat(all)
                              .filteredOn(f -> f.result().statusCode() == 429)
                              .hasSize(7);
                          assertThat(n).isEqualTo(5);
                          ctx.completeNow();
                        })));
  }
}
