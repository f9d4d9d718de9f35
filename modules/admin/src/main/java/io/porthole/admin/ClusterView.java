package io.porthole.admin;

import io.porthole.common.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster as the admin sees it: every node records itself in the cluster-wide async map {@link
 * Addresses#NODES_MAP}; views ask each recorded node's {@link Addresses#nodeAdmin} address with a
 * short timeout, and a node that does not answer is {@code unreachable}.
 */
final class ClusterView {

  private static final Logger log = LoggerFactory.getLogger(ClusterView.class);

  private final Vertx vertx;
  private final long timeoutMs;

  ClusterView(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  private Future<AsyncMap<String, JsonObject>> map() {
    return vertx.sharedData().getAsyncMap(Addresses.NODES_MAP);
  }

  Future<Void> join(JsonObject record) {
    return map().compose(m -> m.put(record.getString("node_id"), record));
  }

  Future<Void> leave(String nodeId) {
    return map().compose(m -> m.remove(nodeId)).mapEmpty();
  }

  private Future<List<JsonObject>> recorded() {
    return map()
        .compose(AsyncMap::entries)
        .map(
            (Map<String, JsonObject> entries) -> {
              List<JsonObject> out = new ArrayList<>(entries.values());
              out.sort((a, b) -> a.getString("node_id").compareTo(b.getString("node_id")));
              return out;
            });
  }

  /** Asks every recorded node; each answer, or the record marked unreachable. */
  private Future<List<JsonObject>> askAll(JsonObject request) {
    return recorded()
        .compose(
            nodes -> {
              List<Future<JsonObject>> answers = new ArrayList<>();
              for (JsonObject node : nodes) {
                String id = node.getString("node_id");
                answers.add(
                    AdminBus.request(vertx, Addresses.nodeAdmin(id), request, timeoutMs)
                        .recover(
                            err -> {
                              log.warn("node {} did not answer the admin: {}", id, err.toString());
                              return Future.succeededFuture(
                                  node.copy()
                                      .put("status", "unreachable")
                                      .put("error", String.valueOf(err.getMessage())));
                            }));
              }
              return Future.all(answers).map(all -> answers.stream().map(Future::result).toList());
            });
  }

  private static boolean unreachable(JsonObject n) {
    return "unreachable".equals(n.getString("status"));
  }

  /** {nodes: [..]}: each node's facts (tunnels counted), or its record marked unreachable. */
  Future<JsonObject> nodes() {
    return askAll(new JsonObject().put("op", "info"))
        .map(
            answers -> {
              JsonArray out = new JsonArray();
              for (JsonObject n : answers) {
                JsonObject copy = n.copy();
                if (!unreachable(n)) {
                  copy.put("tunnels", n.getJsonArray("tunnels", new JsonArray()).size());
                }
                out.add(copy);
              }
              return new JsonObject().put("nodes", out);
            });
  }

  /** {tunnels: [..], unreachable: [node ids]}. */
  Future<JsonObject> tunnels() {
    return askAll(new JsonObject().put("op", "info"))
        .map(
            answers -> {
              JsonArray tunnels = new JsonArray();
              JsonArray missing = new JsonArray();
              for (JsonObject n : answers) {
                if (unreachable(n)) {
                  missing.add(n.getString("node_id"));
                } else {
                  n.getJsonArray("tunnels", new JsonArray()).forEach(tunnels::add);
                }
              }
              return new JsonObject().put("tunnels", tunnels).put("unreachable", missing);
            });
  }

  /** {sandbox_id, kicked: n, unreachable: [node ids]}: the sandbox's tunnels closed everywhere. */
  Future<JsonObject> kick(String sandboxId, String reason) {
    return askAll(
            new JsonObject().put("op", "kick").put("sandbox_id", sandboxId).put("reason", reason))
        .map(
            answers -> {
              int kicked = 0;
              JsonArray missing = new JsonArray();
              for (JsonObject n : answers) {
                if (unreachable(n)) {
                  missing.add(n.getString("node_id"));
                } else {
                  kicked += n.getInteger("kicked", 0);
                }
              }
              return new JsonObject()
                  .put("sandbox_id", sandboxId)
                  .put("kicked", kicked)
                  .put("unreachable", missing);
            });
  }
}
