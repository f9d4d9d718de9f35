package io.porthole.node;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The ops CLI: {@code porthole admin nodes|tunnels|sessions|ports|kick|end|token} over the admin
 * HTTP bridge, and the user verbs {@code porthole sessions|expose|unexpose}. Runs outside any event
 * loop, with the JDK's blocking HTTP client. Exit codes: 0 ok, 1 the request failed (the error
 * body's message is printed), 2 usage.
 */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description = "Cluster administration through the admin HTTP bridge (an admin key).",
    subcommands = {
      AdminCommand.Nodes.class,
      AdminCommand.Tunnels.class,
      AdminCommand.AllSessions.class,
      AdminCommand.Ports.class,
      AdminCommand.Kick.class,
      AdminCommand.Drain.class,
      AdminCommand.End.class,
      AdminCommand.Token.class
    })
public final class AdminCommand implements Runnable {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** --url, --key, --json: where to send, as whom, and how to print. */
  static class Client {
    @Option(
        names = "--url",
        paramLabel = "URL",
        defaultValue = "${env:PORTHOLE_URL:-http://127.0.0.1:8080}",
        description = "The API node (env PORTHOLE_URL; default ${DEFAULT-VALUE}).")
    String url;

    @Option(
        names = "--key",
        paramLabel = "KEY",
        defaultValue = "${env:PORTHOLE_KEY}",
        description = "The API key (env PORTHOLE_KEY).")
    String key;

    @Option(names = "--json", description = "Print the raw JSON reply.")
    boolean json;

    /** Sends a request; the reply as {status, body}. */
    Reply send(String method, String path, JsonObject body)
        throws IOException, InterruptedException {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      HttpRequest.Builder req =
          HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + path))
              .timeout(Duration.ofSeconds(120))
              .header("Accept", "application/json");
      if (key != null && !key.isEmpty()) {
        req.header("Authorization", "Bearer " + key);
      }
      HttpRequest.BodyPublisher publisher =
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body.encode());
      if (body != null) {
        req.header("Content-Type", "application/json");
      }
      HttpResponse<String> res =
          http.send(req.method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(res.statusCode(), res.body());
    }
  }

  record Reply(int status, String body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    JsonObject json() {
      if (body == null || body.isBlank()) {
        return new JsonObject();
      }
      try {
        return new JsonObject(body);
      } catch (DecodeException e) {
        return new JsonObject().put("raw", body);
      }
    }

    /** The error body's message, or the status. */
    String errorMessage() {
      JsonObject err = json().getJsonObject("error");
      if (err != null && err.getString("message") != null) {
        return err.getString("code", "error") + ": " + err.getString("message");
      }
      return "HTTP " + status;
    }
  }

  /** Shared behaviour: send, then print a table, the raw JSON, or the error. */
  abstract static class Verb implements Callable<Integer> {
    @Mixin ClientMixin client;
    @Spec CommandLine.Model.CommandSpec spec;

    abstract String method();

    abstract String path();

    JsonObject body() {
      return null;
    }

    /** Formats a successful reply for people. */
    abstract String format(JsonObject reply);

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Reply reply;
      try {
        reply = client.send(method(), path(), body());
      } catch (IOException e) {
        err.println("porthole: request to " + client.url + " failed: " + e);
        return FAILED;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return FAILED;
      } catch (IllegalArgumentException e) {
        err.println("porthole: bad --url " + client.url + ": " + e.getMessage());
        return USAGE;
      }
      if (!reply.ok()) {
        err.println("porthole: " + reply.errorMessage());
        return FAILED;
      }
      if (client.json) {
        out.println(reply.body() == null || reply.body().isBlank() ? "{}" : reply.body());
      } else {
        out.print(format(reply.json()));
      }
      out.flush();
      return OK;
    }
  }

  /** picocli mixins must be concrete. */
  static final class ClientMixin extends Client {}

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Command(name = "nodes", description = "Every node: status, roles, uptime, heap, tunnels.")
  static final class Nodes extends Verb {
    @Override
    String method() {
      return "GET";
    }

    @Override
    String path() {
      return "/api/v1/admin/nodes";
    }

    @Override
    String format(JsonObject reply) {
      return Table.of(
          reply.getJsonArray("nodes"),
          List.of(
              "node_id",
              "status",
              "roles",
              "address",
              "uptime_ms",
              "load",
              "heap_used",
              "tunnels"));
    }
  }

  @Command(name = "tunnels", description = "Every sandbox tunnel on every node.")
  static final class Tunnels extends Verb {
    @Override
    String method() {
      return "GET";
    }

    @Override
    String path() {
      return "/api/v1/admin/tunnels";
    }

    @Override
    String format(JsonObject reply) {
      String table =
          Table.of(
              reply.getJsonArray("tunnels"),
              List.of(
                  "sandbox_id",
                  "node_id",
                  "instance_id",
                  "remote",
                  "streams",
                  "bytes_in",
                  "bytes_out",
                  "connected_at"));
      JsonArray missing = reply.getJsonArray("unreachable", new JsonArray());
      return missing.isEmpty()
          ? table
          : table + "unreachable nodes: " + String.join(", ", strings(missing)) + "\n";
    }
  }

  @Command(name = "sessions", description = "Sessions of every owner.")
  static final class AllSessions extends Verb {
    @Option(names = "--all", description = "Include ended sessions.")
    boolean all;

    @Override
    String method() {
      return "GET";
    }

    @Override
    String path() {
      return "/api/v1/admin/sessions" + (all ? "?include_ended=true" : "");
    }

    @Override
    String format(JsonObject reply) {
      return Table.of(
          reply.getJsonArray("sessions"),
          List.of("id", "owner", "status", "sandbox_id", "ip", "created_at"));
    }
  }

  @Command(name = "ports", description = "Every allocated host port.")
  static final class Ports extends Verb {
    @Override
    String method() {
      return "GET";
    }

    @Override
    String path() {
      return "/api/v1/admin/ports";
    }

    @Override
    String format(JsonObject reply) {
      return Table.of(
          reply.getJsonArray("allocations"),
          List.of("port", "session_id", "target_port", "protocol", "owner"));
    }
  }

  @Command(name = "kick", description = "Close a sandbox's tunnels on every node.")
  static final class Kick extends Verb {
    @Parameters(paramLabel = "SANDBOX")
    String sandbox;

    @Override
    String method() {
      return "POST";
    }

    @Override
    String path() {
      return "/api/v1/admin/tunnels/" + enc(sandbox) + "/kick";
    }

    @Override
    String format(JsonObject reply) {
      return "kicked " + reply.getInteger("kicked", 0) + " tunnel(s) of " + sandbox + "\n";
    }
  }

  @Command(
      name = "drain",
      description =
          "Drain a node: no new tunnels or traffic; it closes its tunnels once its streams"
              + " finish, then exits.")
  static final class Drain extends Verb {
    @Parameters(paramLabel = "NODE")
    String node;

    @Option(
        names = "--timeout-ms",
        description = "How long streams may run before the tunnels close anyway (default 30000).")
    Long timeoutMs;

    @Override
    String method() {
      return "POST";
    }

    @Override
    String path() {
      return "/api/v1/admin/nodes/"
          + enc(node)
          + "/drain"
          + (timeoutMs == null ? "" : "?timeout_ms=" + timeoutMs);
    }

    @Override
    String format(JsonObject reply) {
      return "node " + reply.getString("node_id", node) + " is " + reply.getString("status") + "\n";
    }
  }

  @Command(name = "end", description = "End any owner's session.")
  static final class End extends Verb {
    @Parameters(paramLabel = "SESSION")
    String session;

    @Override
    String method() {
      return "DELETE";
    }

    @Override
    String path() {
      return "/api/v1/admin/sessions/" + enc(session);
    }

    @Override
    String format(JsonObject reply) {
      return "session " + session + " " + reply.getString("status", "ended") + "\n";
    }
  }

  @Command(name = "token", description = "Issue or rotate a sandbox's tunnel token (shown once).")
  static final class Token extends Verb {
    @Parameters(paramLabel = "SANDBOX")
    String sandbox;

    @Override
    String method() {
      return "POST";
    }

    @Override
    String path() {
      return "/api/v1/admin/sandboxes/" + enc(sandbox) + "/token";
    }

    @Override
    String format(JsonObject reply) {
      return reply.getString("token", "") + "\n";
    }
  }

  /** {@code porthole sessions}: the key owner's sessions. */
  @Command(name = "sessions", description = "Your sessions.")
  static final class Sessions extends Verb {
    @Option(names = "--all", description = "Include ended sessions.")
    boolean all;

    @Override
    String method() {
      return "GET";
    }

    @Override
    String path() {
      return "/api/v1/sessions" + (all ? "?include_ended=true" : "");
    }

    @Override
    String format(JsonObject reply) {
      return Table.of(
          reply.getJsonArray("sessions"),
          List.of("id", "status", "sandbox_id", "ip", "created_at"));
    }
  }

  /** {@code porthole expose <port> --session S}. */
  @Command(name = "expose", description = "Expose a port of a session's dev container.")
  static final class Expose extends Verb {
    @Parameters(paramLabel = "PORT", description = "The container port, 1-65535.")
    int port;

    @Option(names = "--session", required = true, paramLabel = "SESSION")
    String session;

    @Option(names = "--protocol", defaultValue = "http", description = "http or tcp.")
    String protocol;

    @Option(names = "--name", paramLabel = "NAME")
    String name;

    @Option(
        names = "--visibility",
        paramLabel = "V",
        description = "private, authenticated or public.")
    String visibility;

    @Override
    public Integer call() {
      if (port < 1 || port > 65535) {
        spec.commandLine().getErr().println("porthole: the port must be between 1 and 65535");
        return USAGE;
      }
      if (!protocol.equals("http") && !protocol.equals("tcp")) {
        spec.commandLine().getErr().println("porthole: --protocol must be http or tcp");
        return USAGE;
      }
      return super.call();
    }

    @Override
    String method() {
      return "POST";
    }

    @Override
    String path() {
      return "/api/v1/sessions/" + enc(session) + "/expose";
    }

    @Override
    JsonObject body() {
      JsonObject b = new JsonObject().put("port", port).put("protocol", protocol);
      if (name != null) {
        b.put("name", name);
      }
      if (visibility != null) {
        b.put("visibility", visibility);
      }
      return b;
    }

    @Override
    String format(JsonObject reply) {
      StringBuilder sb = new StringBuilder();
      sb.append(reply.getString("session_id", session))
          .append(" port ")
          .append(reply.getInteger("port", port))
          .append(" (")
          .append(reply.getString("protocol", protocol))
          .append(", ")
          .append(reply.getString("visibility", "private"))
          .append(")\n");
      for (String u : strings(reply.getJsonArray("urls", new JsonArray()))) {
        sb.append("  ").append(u).append('\n');
      }
      return sb.toString();
    }
  }

  /** {@code porthole unexpose <port> --session S}. */
  @Command(name = "unexpose", description = "Stop exposing a port.")
  static final class Unexpose extends Verb {
    @Parameters(paramLabel = "PORT")
    int port;

    @Option(names = "--session", required = true, paramLabel = "SESSION")
    String session;

    @Override
    String method() {
      return "DELETE";
    }

    @Override
    String path() {
      return "/api/v1/sessions/" + enc(session) + "/expose/" + port;
    }

    @Override
    String format(JsonObject reply) {
      return "unexposed " + session + " port " + port + "\n";
    }
  }

  static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    a.forEach(v -> out.add(String.valueOf(v)));
    return out;
  }

  /** Aligned plain-text tables: a header row, one row per object, columns padded to width. */
  static final class Table {
    private Table() {}

    static String of(JsonArray rows, List<String> columns) {
      List<List<String>> cells = new ArrayList<>();
      List<String> header = new ArrayList<>();
      for (String c : columns) {
        header.add(c.toUpperCase(Locale.ROOT));
      }
      cells.add(header);
      if (rows != null) {
        for (Object o : rows) {
          JsonObject row = o instanceof JsonObject j ? j : new JsonObject();
          List<String> line = new ArrayList<>();
          for (String c : columns) {
            line.add(cell(row.getValue(c)));
          }
          cells.add(line);
        }
      }
      int[] width = new int[columns.size()];
      for (List<String> line : cells) {
        for (int i = 0; i < width.length; i++) {
          width[i] = Math.max(width[i], line.get(i).length());
        }
      }
      StringBuilder sb = new StringBuilder();
      for (List<String> line : cells) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < width.length; i++) {
          l.append(line.get(i));
          if (i < width.length - 1) {
            l.append(" ".repeat(width[i] - line.get(i).length() + 2));
          }
        }
        sb.append(l.toString().stripTrailing()).append('\n');
      }
      return sb.toString();
    }

    private static String cell(Object v) {
      if (v == null) {
        return "-";
      }
      if (v instanceof JsonArray a) {
        return String.join(",", strings(a));
      }
      return String.valueOf(v);
    }
  }
}
