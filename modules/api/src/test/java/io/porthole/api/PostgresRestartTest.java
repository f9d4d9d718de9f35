package io.porthole.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.postgres.EmbeddedPostgres;
import io.porthole.postgres.PgSettings;
import io.porthole.testkit.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** PostgreSQL goes away mid-test: 503 while it is down, service resumes by itself, nothing lost. */
@ExtendWith(VertxExtension.class)
class PostgresRestartTest {

  private static PgSettings pg;
  private static EmbeddedPostgres server;

  @BeforeAll
  static void database() {
    pg = TestPostgres.freshDatabase();
    server = TestPostgres.embedded();
  }

  @AfterEach
  void serverBack() {
    // whatever happened, the next test class gets its server (this runs on the test thread)
    if (!server.isRunning()) {
      server.start();
    }
  }

  /** Retries {@code call} every 200 ms until it answers {@code status}, for at most 30 s. */
  private static Future<HttpResponse<Buffer>> until(
      Vertx vertx, Supplier<Future<HttpResponse<Buffer>>> call, int status) {
    Promise<HttpResponse<Buffer>> done = Promise.promise();
    long deadline = System.nanoTime() + 30_000_000_000L;
    attempt(vertx, call, status, deadline, done);
    return done.future();
  }

  private static void attempt(
      Vertx vertx,
      Supplier<Future<HttpResponse<Buffer>>> call,
      int status,
      long deadline,
      Promise<HttpResponse<Buffer>> done) {
    call.get()
        .onComplete(
            ar -> {
              if (ar.succeeded() && ar.result().statusCode() == status) {
                done.complete(ar.result());
              } else if (System.nanoTime() > deadline) {
                done.fail(
                    "no "
                        + status
                        + " within 30 s; last: "
                        + (ar.succeeded() ? ar.result().bodyAsString() : ar.cause()));
              } else {
                vertx.setTimer(200, t -> attempt(vertx, call, status, deadline, done));
              }
            });
  }

  @Test
  @DisplayName(
      "With PostgreSQL stopped requests are 503 with a JSON body and readiness is DOWN; once it"
          + " is back they succeed and every session and exposure is still there")
  void restart(Vertx vertx, VertxTestContext ctx) {
    String[] key = new String[1];
    String[] session = new String[1];
    int[] host = new int[1];
    Stack[] stack = new Stack[1];
    Stack.start(vertx, pg, Stack.config(pg))
        .compose(
            s -> {
              stack[0] = s;
              return new FakeSandbox("sbx-pg").connect(vertx, "n1", 10);
            })
        .compose(v -> stack[0].keyFor("pgfan"))
        .compose(
            k -> {
              key[0] = k;
              return stack[0].session(k);
            })
        .compose(
            s -> {
              session[0] = s;
              return stack[0].post(
                  "/api/v1/sessions/" + s + "/expose", key[0], new JsonObject().put("port", 8080));
            })
        .compose(
            exposed -> {
              host[0] = exposed.bodyAsJsonObject().getInteger("allocated_port");
              return vertx.executeBlocking(
                  () -> {
                    server.stop();
                    return null;
                  });
            })
        .compose(v -> stack[0].get("/api/v1/sessions/" + session[0] + "/expose", key[0]))
        .compose(
            down -> {
              ctx.verify(
                  () -> {
                    assertThat(down.statusCode()).isEqualTo(503);
                    assertThat(Stack.error(down)).isEqualTo("unavailable");
                  });
              return stack[0].get("/readyz", null);
            })
        .compose(
            ready -> {
              ctx.verify(
                  () -> {
                    assertThat(ready.statusCode()).isEqualTo(503);
                    assertThat(ready.bodyAsString()).contains("\"id\":\"postgres\"");
                  });
              return vertx.executeBlocking(
                  () -> {
                    server.start();
                    return null;
                  });
            })
        .compose(
            v ->
                until(
                    vertx,
                    () -> stack[0].get("/api/v1/sessions/" + session[0] + "/expose", key[0]),
                    200))
        .compose(
            back -> {
              ctx.verify(
                  () -> {
                    JsonObject e =
                        back.bodyAsJsonObject().getJsonArray("exposed_ports").getJsonObject(0);
                    assertThat(e.getInteger("port")).isEqualTo(8080);
                    assertThat(e.getInteger("allocated_port")).isEqualTo(host[0]);
                    assertThat(e.getString("status")).isEqualTo("active");
                  });
              return stack[0].post(
                  "/api/v1/sessions/" + session[0] + "/expose",
                  key[0],
                  new JsonObject().put("port", 9090));
            })
        .onComplete(
            ctx.succeeding(
                more ->
                    ctx.verify(
                        () -> {
                          assertThat(more.statusCode()).isEqualTo(201);
                          assertThat(more.bodyAsJsonObject().getInteger("allocated_port"))
                              .isNotEqualTo(host[0]);
                          ctx.completeNow();
                        })));
  }
}
