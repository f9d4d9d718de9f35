package io.porthole.api;

import io.porthole.common.Addresses;
import io.porthole.common.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a sandbox agent behind its tunnel: it answers {@code container.*} commands on its
 * control address and tells the registry it is connected, as the tunnel server does.
 */
final class FakeSandbox {

  final String id;
  final List<JsonObject> commands = new CopyOnWriteArrayList<>();
  volatile boolean failCreate;
  private final AtomicInteger ips = new AtomicInteger(1);
  private MessageConsumer<JsonObject> consumer;

  FakeSandbox(String id) {
    this.id = id;
  }

  /** Answers commands and reports the tunnel up on {@code node}. */
  Future<Void> connect(Vertx vertx, String node, int capacity) {
    consumer =
        vertx
            .eventBus()
            .consumer(
                Addresses.sandboxControl(id),
                msg -> {
                  JsonObject cmd = msg.body();
                  commands.add(cmd);
                  JsonObject body = cmd.getJsonObject("body", new JsonObject());
                  String session = body.getString("session_id");
                  switch (cmd.getString("command")) {
                    case "container.create" -> {
                      if (failCreate) {
                        msg.fail(ErrorCode.NOT_FOUND.code(), "image not found: nope/nothing");
                      } else {
                        msg.reply(
                            new JsonObject()
                                .put("session_id", session)
                                .put("container_id", "ctr-" + session)
                                .put("ip", "10.212.0." + ips.incrementAndGet())
                                .put("status", "running"));
                      }
                    }
                    case "container.remove" ->
                        msg.reply(new JsonObject().put("session_id", session).put("removed", true));
                    default -> msg.fail(ErrorCode.INVALID.code(), "unknown command");
                  }
                });
    return consumer
        .completion()
        .compose(
            v ->
                vertx
                    .eventBus()
                    .request(
                        Addresses.REGISTRY_SANDBOX_CONNECTED,
                        new JsonObject()
                            .put("sandbox_id", id)
                            .put("instance_id", "inst-" + id)
                            .put("node_id", node)
                            .put("capacity", capacity)))
        .mapEmpty();
  }

  /** The tunnel goes down: no more answers, and the registry is told. */
  Future<Void> disconnect(Vertx vertx, String node) {
    return consumer
        .unregister()
        .compose(
            v ->
                vertx
                    .eventBus()
                    .request(
                        Addresses.REGISTRY_SANDBOX_DISCONNECTED,
                        new JsonObject()
                            .put("sandbox_id", id)
                            .put("instance_id", "")
                            .put("node_id", node)))
        .mapEmpty();
  }

  List<JsonObject> commands(String name) {
    return commands.stream().filter(c -> name.equals(c.getString("command"))).toList();
  }
}
