package io.porthole.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.common.config.Settings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.Route;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * docs/openapi.yaml is a valid OpenAPI 3 document (vertx-openapi parses and validates it), it lists
 * exactly the routes the router serves, and its request schemas name exactly the fields the strict
 * validation accepts.
 */
@ExtendWith(VertxExtension.class)
class OpenApiContractTest {

  private static final String CONTRACT = "../../docs/openapi.yaml";

  /** {@code /api/v1/sessions/:id} → {@code /api/v1/sessions/{id}}. */
  private static String openApiPath(String routePath) {
    return routePath.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
  }

  private static Set<String> served(ApiVerticle api) {
    Set<String> out = new TreeSet<>();
    for (Route r : api.router().getRoutes()) {
      if (r.getPath() == null || r.methods() == null || r.methods().isEmpty()) {
        continue; // the catch-all 404 and other method-less handlers
      }
      for (HttpMethod m : r.methods()) {
        out.add(m.name() + " " + openApiPath(r.getPath()));
      }
    }
    return out;
  }

  private static Set<String> documented(OpenAPIContract contract) {
    Set<String> out = new TreeSet<>();
    for (Operation op : contract.operations()) {
      out.add(op.getHttpMethod().name() + " " + op.getOpenAPIPath());
    }
    return out;
  }

  /** Follows a local {@code $ref}. */
  private static JsonObject deref(JsonObject root, JsonObject schema) {
    String ref = schema.getString("$ref");
    if (ref == null) {
      return schema;
    }
    JsonObject at = root;
    for (String part : ref.substring(2).split("/")) {
      at = at.getJsonObject(part);
    }
    return deref(root, at);
  }

  private static JsonObject schema(JsonObject root, String name) {
    return root.getJsonObject("components").getJsonObject("schemas").getJsonObject(name);
  }

  private static void assertStrict(JsonObject root, String name, Set<String> fields) {
    JsonObject s = schema(root, name);
    assertThat(s.getBoolean("additionalProperties")).as(name + " additionalProperties").isFalse();
    assertThat(s.getJsonObject("properties").fieldNames())
        .as(name + " properties")
        .containsExactlyInAnyOrderElementsOf(fields);
  }

  /**
   * The parsed contract. vertx-openapi reads the file and parses its YAML on the context that asks:
   * here a worker verticle's, as ours is long enough for a cold parse to hold an event loop for
   * hundreds of milliseconds.
   */
  private static Future<OpenAPIContract> contract(Vertx vertx) {
    Promise<OpenAPIContract> parsed = Promise.promise();
    return vertx
        .deployVerticle(
            new VerticleBase() {
              @Override
              public Future<?> start() {
                return OpenAPIContract.from(vertx, CONTRACT).onComplete(parsed);
              }
            },
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
        .compose(vertx::undeploy)
        .compose(v -> parsed.future());
  }

  @Test
  @DisplayName(
      "Every documented path and method is served, every served route is documented, and the"
          + " request schemas match the strict validation field for field")
  void contractMatchesRouter(Vertx vertx, VertxTestContext ctx) {
    ApiVerticle api = new ApiVerticle(HealthChecks.create(vertx));
    JsonObject config =
        Settings.defaults()
            .put(Settings.HTTP_HOST.name(), "127.0.0.1")
            .put(Settings.HTTP_PORT.name(), 0);
    vertx
        .deployVerticle(api, new DeploymentOptions().setConfig(config))
        .compose(id -> contract(vertx))
        .onComplete(
            ctx.succeeding(
                contract ->
                    ctx.verify(
                        () -> {
                          Set<String> served = served(api);
                          Set<String> documented = documented(contract);
                          assertThat(served).as("served routes").isNotEmpty();
                          assertThat(documented).as("documented but not served").isSubsetOf(served);
                          assertThat(served).as("served but not documented").isSubsetOf(documented);

                          JsonObject root = contract.getRawContract();
                          assertStrict(root, "SessionCreate", Requests.SESSION_FIELDS);
                          assertStrict(root, "ExposeRequest", Requests.EXPOSE_FIELDS);
                          assertStrict(root, "Policy", Requests.POLICY_FIELDS);
                          assertStrict(root, "Cors", Requests.CORS_FIELDS);
                          assertStrict(root, "KeyCreate", Requests.KEY_FIELDS);
                          assertStrict(root, "ShareCreate", Requests.SHARE_FIELDS);
                          JsonObject expose =
                              deref(
                                  root,
                                  root.getJsonObject("paths")
                                      .getJsonObject("/api/v1/sessions/{id}/expose")
                                      .getJsonObject("post")
                                      .getJsonObject("requestBody")
                                      .getJsonObject("content")
                                      .getJsonObject("application/json")
                                      .getJsonObject("schema"));
                          assertThat(expose.getJsonArray("required")).containsExactly("port");
                          ctx.completeNow();
                        })));
  }
}
