package io.porthole.node;

import io.porthole.common.config.ConfigException;
import io.porthole.common.config.ConfigKey;
import io.porthole.common.config.ConfigLoader;
import io.porthole.common.config.Settings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code porthole} command: {@code run} a node, or print the {@code config} it would use. */
@Command(
    name = "porthole",
    mixinStandardHelpOptions = true,
    version = "porthole 0.1.0",
    subcommands = {
      Main.Run.class,
      Main.ShowConfig.class,
      PgCommand.class,
      AdminCommand.class,
      AdminCommand.Sessions.class,
      AdminCommand.Expose.class,
      AdminCommand.Unexpose.class
    },
    description = "Expose ports of dev containers through reverse tunnels, on a Vert.x cluster.")
public final class Main implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(Main.class);
  static final String DEFAULT_CONFIG = "conf/porthole.json";

  @Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    if (System.getProperty("hazelcast.logging.type") == null) {
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
    int rc = new CommandLine(new Main()).execute(args);
    CountDownLatch held = hold;
    if (rc == 0 && held != null) {
      try {
        held.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    System.exit(rc);
  }

  /** A command that must outlive its call (porthole pg): main() waits for {@code done}. */
  private static volatile CountDownLatch hold;

  static void holdUntil(CountDownLatch done) {
    hold = done;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Flags shared by the commands that load configuration. */
  static class ConfigFlags {
    @Option(
        names = "--config",
        paramLabel = "FILE",
        description = "JSON configuration file (default: " + DEFAULT_CONFIG + " when present).")
    Path file;

    @Option(names = "--role", description = "all, api or sandbox.")
    String role;

    @Option(names = "--node-id")
    String nodeId;

    @Option(names = "--http-host")
    String httpHost;

    @Option(names = "--http-port")
    String httpPort;

    @Option(names = "--data-dir")
    String dataDir;

    @Option(names = "--pg-url", description = "External PostgreSQL; empty runs the embedded one.")
    String pgUrl;

    @Option(names = "--cluster-name")
    String clusterName;

    @Option(names = "--cluster-host")
    String clusterHost;

    @Option(names = "--cluster-port")
    String clusterPort;

    @Option(names = "--cluster-members", description = "Comma-separated host[:port] list.")
    String clusterMembers;

    @Option(names = "--no-cluster", description = "Run standalone, without Hazelcast.")
    boolean noCluster;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "Any configuration key (see docs/configuration.md); repeatable.")
    Map<String, String> set = new LinkedHashMap<>();

    JsonObject flags() {
      JsonObject out = new JsonObject();
      set.forEach(
          (k, v) -> {
            if (Settings.byName(k).isEmpty()) {
              throw new ConfigException("unknown configuration key '" + k + "' in --set");
            }
            out.put(k, v);
          });
      put(out, Settings.ROLE, role);
      put(out, Settings.NODE_ID, nodeId);
      put(out, Settings.HTTP_HOST, httpHost);
      put(out, Settings.HTTP_PORT, httpPort);
      put(out, Settings.DATA_DIR, dataDir);
      put(out, Settings.PG_URL, pgUrl);
      put(out, Settings.CLUSTER_NAME, clusterName);
      put(out, Settings.CLUSTER_HOST, clusterHost);
      put(out, Settings.CLUSTER_PORT, clusterPort);
      put(out, Settings.CLUSTER_MEMBERS, clusterMembers);
      if (noCluster) {
        out.put(Settings.CLUSTER_ENABLED.name(), false);
      }
      return out;
    }

    private static void put(JsonObject out, ConfigKey key, String value) {
      if (value != null) {
        out.put(key.name(), value);
      }
    }

    ConfigLoader.Sources sources() {
      boolean explicit = file != null;
      Path path = explicit ? file : Path.of(DEFAULT_CONFIG);
      Map<String, String> sys = new LinkedHashMap<>();
      System.getProperties().forEach((k, v) -> sys.put(k.toString(), v.toString()));
      return new ConfigLoader.Sources(
          explicit || Files.exists(path) ? path : null, explicit, System.getenv(), sys, flags());
    }
  }

  /** Loads and validates the configuration on a short-lived, non-clustered Vert.x. */
  static JsonObject loadConfig(ConfigFlags flags) {
    Vertx boot = Vertx.vertx();
    try {
      return ConfigLoader.load(boot, flags.sources()).await(60, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      throw e;
    } catch (Exception e) {
      throw new ConfigException("configuration could not be loaded: " + e.getMessage());
    } finally {
      boot.close();
    }
  }

  @Command(name = "run", description = "Run a node in the foreground until SIGTERM or Ctrl-C.")
  static final class Run implements Callable<Integer> {

    @CommandLine.Mixin(name = "config")
    ConfigFlagsMixin flags;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      JsonObject config;
      try {
        config = loadConfig(flags);
      } catch (ConfigException e) {
        spec.commandLine().getErr().println("porthole: " + e.getMessage());
        return 2;
      }
      Node node;
      try {
        node = Node.start(config).await();
      } catch (ConfigException e) {
        spec.commandLine().getErr().println("porthole: " + e.getMessage());
        return 2;
      } catch (Exception e) {
        log.error("start-up failed", e);
        spec.commandLine().getErr().println("porthole: start-up failed: " + e.getMessage());
        return 1;
      }
      // a drained node (admin drain) exits: the shutdown hook stops it cleanly
      node.drained()
          .onSuccess(
              v -> {
                log.info("node {} drained: exiting", node.id());
                new Thread(() -> System.exit(0), "porthole-drained").start();
              });
      CountDownLatch stopped = new CountDownLatch(1);
      long bound = Settings.SHUTDOWN_TIMEOUT_MS.longIn(config) + 30_000;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    log.info("shutting down node {}", node.id());
                    try {
                      node.stop().await(bound, TimeUnit.MILLISECONDS);
                    } catch (Exception e) {
                      log.warn("shutdown did not complete cleanly: {}", e.toString());
                    }
                    stopped.countDown();
                  },
                  "porthole-shutdown"));
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 0;
    }
  }

  @Command(
      name = "config",
      description = "Print the effective configuration (secrets redacted) and exit.")
  static final class ShowConfig implements Callable<Integer> {

    @CommandLine.Mixin(name = "config")
    ConfigFlagsMixin flags;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      try {
        JsonObject config = loadConfig(flags);
        for (String secret : List.of(Settings.BOOTSTRAP_ADMIN_KEY.name(), Settings.PG_URL.name())) {
          if (!config.getString(secret, "").isEmpty()) {
            config.put(secret, "***");
          }
        }
        spec.commandLine().getOut().println(config.encodePrettily());
        return 0;
      } catch (ConfigException e) {
        spec.commandLine().getErr().println("porthole: " + e.getMessage());
        return 2;
      }
    }
  }

  /** picocli mixins must be concrete classes with a no-arg constructor. */
  static final class ConfigFlagsMixin extends ConfigFlags {}
}
