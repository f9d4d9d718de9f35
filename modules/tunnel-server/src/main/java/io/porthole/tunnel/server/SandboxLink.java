package io.porthole.tunnel.server;

import io.porthole.tunnel.mux.Multiplexer;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/** What this node knows of one sandbox: its live tunnels, its bus consumers, who waits for it. */
final class SandboxLink {

  /** One live tunnel. */
  record Tunnel(String instanceId, Multiplexer mux, String remote, Instant connectedAt) {}

  final String sandboxId;
  final Map<String, Tunnel> tunnels = new LinkedHashMap<>();
  final Deque<Promise<Multiplexer>> waiting = new ArrayDeque<>();
  MessageConsumer<JsonObject> control;
  MessageConsumer<JsonObject> route;
  long graceTimer = -1;

  SandboxLink(String sandboxId) {
    this.sandboxId = sandboxId;
  }

  /** The live tunnel with the fewest open streams, or null. */
  Multiplexer leastLoaded() {
    return tunnels.values().stream()
        .map(Tunnel::mux)
        .filter(m -> !m.isClosed())
        .min(Comparator.comparingInt(Multiplexer::activeStreams))
        .orElse(null);
  }
}
