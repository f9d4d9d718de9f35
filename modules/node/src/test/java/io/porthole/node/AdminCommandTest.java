package io.porthole.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** The ops CLI without a server: argument parsing, exit codes and table formatting. */
class AdminCommandTest {

  private static CommandLine cli() {
    return new CommandLine(new Main());
  }

  /** The innermost subcommand object the arguments select. */
  private static Object parsed(String... args) {
    ParseResult r = cli().parseArgs(args);
    while (r.hasSubcommand()) {
      r = r.subcommand();
    }
    return r.commandSpec().userObject();
  }

  @Test
  @DisplayName("admin kick parses its sandbox, --url, --key and --json into the kick path")
  void kickArgs() {
    Object o =
        parsed(
            "admin",
            "kick",
            "sbx-1",
            "--url",
            "http://api.example:9000/",
            "--key",
            "phk_x",
            "--json");
    assertThat(o).isInstanceOf(AdminCommand.Kick.class);
    AdminCommand.Kick kick = (AdminCommand.Kick) o;
    assertThat(kick.sandbox).isEqualTo("sbx-1");
    assertThat(kick.client.url).isEqualTo("http://api.example:9000/");
    assertThat(kick.client.key).isEqualTo("phk_x");
    assertThat(kick.client.json).isTrue();
    assertThat(kick.method()).isEqualTo("POST");
    assertThat(kick.path()).isEqualTo("/api/v1/admin/tunnels/sbx-1/kick");
  }

  @Test
  @DisplayName("expose builds its request body from the port and the options")
  void exposeArgs() {
    AdminCommand.Expose e =
        (AdminCommand.Expose)
            parsed(
                "expose",
                "8080",
                "--session",
                "ses_01kftf048shs1ca1wnfwy9msb7",
                "--protocol",
                "tcp",
                "--name",
                "api",
                "--visibility",
                "public");
    assertThat(e.path()).isEqualTo("/api/v1/sessions/ses_01kftf048shs1ca1wnfwy9msb7/expose");
    assertThat(e.body())
        .isEqualTo(
            new JsonObject()
                .put("port", 8080)
                .put("protocol", "tcp")
                .put("name", "api")
                .put("visibility", "public"));
    AdminCommand.Expose plain =
        (AdminCommand.Expose) parsed("expose", "3000", "--session", "ses_x");
    assertThat(plain.body()).isEqualTo(new JsonObject().put("port", 3000).put("protocol", "http"));
    assertThat(plain.client.url).isNotEmpty();
  }

  @Test
  @DisplayName("unexpose, end, token and the listing verbs map to their routes")
  void otherPaths() {
    assertThat(((AdminCommand.Unexpose) parsed("unexpose", "8080", "--session", "ses_a")).path())
        .isEqualTo("/api/v1/sessions/ses_a/expose/8080");
    assertThat(((AdminCommand.End) parsed("admin", "end", "ses_b")).method()).isEqualTo("DELETE");
    assertThat(((AdminCommand.Token) parsed("admin", "token", "sbx-9")).path())
        .isEqualTo("/api/v1/admin/sandboxes/sbx-9/token");
    assertThat(((AdminCommand.AllSessions) parsed("admin", "sessions", "--all")).path())
        .isEqualTo("/api/v1/admin/sessions?include_ended=true");
    assertThat(((AdminCommand.Sessions) parsed("sessions")).path()).isEqualTo("/api/v1/sessions");
    assertThat(parsed("admin", "nodes")).isInstanceOf(AdminCommand.Nodes.class);
  }

  @Test
  @DisplayName("Usage errors exit with 2: a missing --session, a bad port, an unknown verb")
  void usageExitCodes() {
    StringWriter err = new StringWriter();
    CommandLine c = cli();
    c.setErr(new PrintWriter(err));
    assertThat(c.execute("expose", "8080")).isEqualTo(2);
    assertThat(err.toString()).contains("--session");
    assertThat(cli().execute("expose", "70000", "--session", "ses_a")).isEqualTo(2);
    assertThat(cli().execute("expose", "80", "--session", "ses_a", "--protocol", "udp"))
        .isEqualTo(2);
    assertThat(cli().execute("admin", "bogus")).isEqualTo(2);
  }

  @Test
  @DisplayName("A refused connection exits with 1 and says which URL failed")
  void requestFailure() {
    StringWriter err = new StringWriter();
    CommandLine c = cli();
    c.setErr(new PrintWriter(err));
    // port 1 on loopback: nothing listens there, the connection is refused at once
    assertThat(c.execute("admin", "nodes", "--url", "http://127.0.0.1:1", "--key", "k"))
        .isEqualTo(1);
    assertThat(err.toString()).contains("http://127.0.0.1:1");
  }

  @Test
  @DisplayName("The nodes table aligns columns, joins arrays and shows missing values as -")
  void nodesTable() {
    JsonObject reply =
        new JsonObject()
            .put(
                "nodes",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("node_id", "n1")
                            .put("status", "up")
                            .put("roles", new JsonArray().add("api").add("sandbox"))
                            .put("address", "127.0.0.1:8080")
                            .put("uptime_ms", 1234)
                            .put("load", 0.5)
                            .put("heap_used", 1000)
                            .put("tunnels", 2))
                    .add(
                        new JsonObject()
                            .put("node_id", "node-long-2")
                            .put("status", "unreachable")
                            .put("roles", new JsonArray().add("api"))
                            .put("address", "10.0.0.2:8080")));
    String table = new AdminCommand.Nodes().format(reply);
    assertThat(table.lines().toList())
        .containsExactly(
            "NODE_ID      STATUS       ROLES        ADDRESS         UPTIME_MS  LOAD  HEAP_USED  TUNNELS",
            "n1           up           api,sandbox  127.0.0.1:8080  1234       0.5   1000       2",
            "node-long-2  unreachable  api          10.0.0.2:8080   -          -     -          -");
  }

  @Test
  @DisplayName(
      "Tunnels list the unreachable nodes under the table; an error body yields its message")
  void tunnelsAndErrors() {
    String out =
        new AdminCommand.Tunnels()
            .format(
                new JsonObject()
                    .put("tunnels", new JsonArray())
                    .put("unreachable", new JsonArray().add("n2")));
    assertThat(out.lines().toList())
        .containsExactly(
            "SANDBOX_ID  NODE_ID  INSTANCE_ID  REMOTE  STREAMS  BYTES_IN  BYTES_OUT  CONNECTED_AT",
            "unreachable nodes: n2");
    AdminCommand.Reply r =
        new AdminCommand.Reply(
            403, "{\"error\":{\"code\":\"forbidden\",\"message\":\"an admin key is required\"}}");
    assertThat(r.ok()).isFalse();
    assertThat(r.errorMessage()).isEqualTo("forbidden: an admin key is required");
    assertThat(new AdminCommand.Reply(502, "<html>").errorMessage()).isEqualTo("HTTP 502");
    assertThat(AdminCommand.Table.of(new JsonArray(), List.of("a"))).isEqualTo("A\n");
  }
}
