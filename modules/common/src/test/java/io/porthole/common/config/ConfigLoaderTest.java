package io.porthole.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class ConfigLoaderTest {

  @TempDir Path dir;

  private static ConfigLoader.Sources sources(
      Path file, Map<String, String> env, Map<String, String> sys, JsonObject flags) {
    return new ConfigLoader.Sources(file, file != null, env, sys, flags);
  }

  private Path file(String json) throws IOException {
    Path f = dir.resolve("porthole.json");
    Files.writeString(f, json);
    return f;
  }

  @Test
  @DisplayName("With no sources every key takes its default")
  void defaults(Vertx vertx, VertxTestContext ctx) {
    ConfigLoader.load(vertx, sources(null, Map.of(), Map.of(), new JsonObject()))
        .onComplete(
            ctx.succeeding(
                c ->
                    ctx.verify(
                        () -> {
                          assertThat(Settings.HTTP_PORT.intIn(c)).isEqualTo(8080);
                          assertThat(Settings.ROLE.stringIn(c)).isEqualTo("all");
                          assertThat(Settings.DATA_DIR.stringIn(c)).isEqualTo("./data");
                          assertThat(Settings.DEV_SUBDOMAIN.stringIn(c)).isEqualTo("dev.localhost");
                          assertThat(Settings.CLUSTER_MEMBERS.listIn(c))
                              .containsExactly("127.0.0.1");
                          assertThat(c.fieldNames()).hasSize(Settings.ALL.size());
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("File, then env, then system properties, then flags: the later source wins")
  void precedence(Vertx vertx, VertxTestContext ctx) throws IOException {
    Path f =
        file(
            "{\"http.port\": 1000, \"role\": \"api\", \"data.dir\": \"/from/file\","
                + " \"cluster\": {\"name\": \"nested\"}, \"pg.pool_size\": 3}");
    Map<String, String> env =
        Map.of(
            "PORTHOLE_HTTP_PORT", "2000",
            "PORTHOLE_DATA_DIR", "/from/env",
            "PORTHOLE_CLUSTER_MEMBERS", "10.0.0.1, 10.0.0.2:5702",
            "UNRELATED", "x");
    Map<String, String> sys = Map.of("porthole.http.port", "3000", "java.home", "/jdk");
    JsonObject flags = new JsonObject().put("http.port", "4000");
    ConfigLoader.load(vertx, sources(f, env, sys, flags))
        .onComplete(
            ctx.succeeding(
                c ->
                    ctx.verify(
                        () -> {
                          assertThat(Settings.HTTP_PORT.intIn(c)).isEqualTo(4000);
                          assertThat(Settings.DATA_DIR.stringIn(c)).isEqualTo("/from/env");
                          assertThat(Settings.ROLE.stringIn(c)).isEqualTo("api");
                          assertThat(Settings.CLUSTER_NAME.stringIn(c)).isEqualTo("nested");
                          assertThat(Settings.PG_POOL_SIZE.intIn(c)).isEqualTo(3);
                          assertThat(Settings.CLUSTER_MEMBERS.listIn(c))
                              .containsExactly("10.0.0.1", "10.0.0.2:5702");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A port out of range fails with one message naming the key and its variable")
  void badPort(Vertx vertx, VertxTestContext ctx) {
    ConfigLoader.load(vertx, sources(null, Map.of("PORTHOLE_HTTP_PORT", "70000"), Map.of(), null))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err).isInstanceOf(ConfigException.class);
                          assertThat(err.getMessage())
                              .contains("'http.port'")
                              .contains("PORTHOLE_HTTP_PORT")
                              .contains("70000")
                              .doesNotContain("\n");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("A value of the wrong type in the file names the key")
  void wrongType(Vertx vertx, VertxTestContext ctx) throws IOException {
    Path f = file("{\"cluster.enabled\": \"perhaps\"}");
    ConfigLoader.load(vertx, sources(f, Map.of(), Map.of(), null))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err.getMessage())
                              .contains("'cluster.enabled'")
                              .contains("true or false");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("An unknown key in the file is refused by name")
  void unknownKey(Vertx vertx, VertxTestContext ctx) throws IOException {
    Path f = file("{\"http.prot\": 8080}");
    ConfigLoader.load(vertx, sources(f, Map.of(), Map.of(), null))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err.getMessage())
                              .contains("unknown configuration key 'http.prot'");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("An empty required value, a bad role and a bad PostgreSQL URL are each refused")
  void crossKeyRules(Vertx vertx, VertxTestContext ctx) {
    var checkpoint = ctx.checkpoint(3);
    ConfigLoader.load(vertx, sources(null, Map.of("PORTHOLE_DATA_DIR", ""), Map.of(), null))
        .onComplete(
            ctx.failing(
                err -> {
                  ctx.verify(
                      () ->
                          assertThat(err.getMessage()).contains("'data.dir'").contains("required"));
                  checkpoint.flag();
                }));
    ConfigLoader.load(vertx, sources(null, Map.of("PORTHOLE_ROLE", "proxy"), Map.of(), null))
        .onComplete(
            ctx.failing(
                err -> {
                  ctx.verify(
                      () -> assertThat(err.getMessage()).contains("'role'").contains("proxy"));
                  checkpoint.flag();
                }));
    ConfigLoader.load(
            vertx, sources(null, Map.of("PORTHOLE_PG_URL", "mysql://x@y/z"), Map.of(), null))
        .onComplete(
            ctx.failing(
                err -> {
                  ctx.verify(() -> assertThat(err.getMessage()).contains("'pg.url'"));
                  checkpoint.flag();
                }));
  }

  @Test
  @DisplayName("A named configuration file that does not exist stops loading")
  void missingFile(Vertx vertx, VertxTestContext ctx) {
    ConfigLoader.load(vertx, sources(dir.resolve("nope.json"), Map.of(), Map.of(), null))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err.getMessage())
                              .contains("nope.json")
                              .contains("does not exist");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Malformed JSON in the file is reported, not ignored")
  void malformedFile(Vertx vertx, VertxTestContext ctx) throws IOException {
    Path f = file("{\"http.port\": ");
    ConfigLoader.load(vertx, sources(f, Map.of(), Map.of(), null))
        .onComplete(
            ctx.failing(
                err ->
                    ctx.verify(
                        () -> {
                          assertThat(err).isInstanceOf(ConfigException.class);
                          assertThat(err.getMessage()).contains("porthole.json");
                          ctx.completeNow();
                        })));
  }

  @Test
  @DisplayName("Lists accept a JSON array or a comma-separated string")
  void lists() {
    assertThat(Settings.CLUSTER_MEMBERS.coerce(new JsonArray().add(" a ").add("b")))
        .isEqualTo(new JsonArray().add("a").add("b"));
    assertThat(Settings.CLUSTER_MEMBERS.coerce("a,,b "))
        .isEqualTo(new JsonArray().add("a").add("b"));
  }
}
