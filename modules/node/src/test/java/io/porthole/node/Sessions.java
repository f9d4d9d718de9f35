package io.porthole.node;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;

/** Creating sessions in the node tests: the dev container runs a shell command. */
final class Sessions {

  private Sessions() {}

  /** {@code POST /api/v1/sessions} whose container runs {@code sh -c script}. */
  static Future<HttpResponse<Buffer>> create(
      WebClient client, int port, String host, String key, String script) {
    return client
        .post(port, host, "/api/v1/sessions")
        .bearerTokenAuthentication(key)
        .sendJsonObject(
            new JsonObject().put("command", new JsonArray().add("/bin/sh").add("-c").add(script)));
  }
}
