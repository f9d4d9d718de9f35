package io.porthole.node;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.XmlConfigBuilder;
import io.porthole.common.config.ConfigException;
import io.porthole.common.config.Settings;
import io.vertx.core.json.JsonObject;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds the Hazelcast configuration: the XML named by {@code cluster.config} (or the bundled
 * copy), then the node's cluster keys on top (name, interface, port, TCP-IP members; multicast
 * off).
 */
final class ClusterSetup {

  private ClusterSetup() {}

  static Config hazelcastConfig(JsonObject config, String nodeId) {
    Config hz = load(Settings.CLUSTER_CONFIG.stringIn(config));
    String host = Settings.CLUSTER_HOST.stringIn(config);
    hz.setClusterName(Settings.CLUSTER_NAME.stringIn(config));
    hz.setInstanceName("porthole-" + nodeId);
    hz.setProperty("hazelcast.local.localAddress", host);
    // a member is one address on the wire (what firewalls, and the partition test, see): it
    // listens on its own address, not on all of them, and connects out from it
    hz.setProperty("hazelcast.socket.bind.any", "false");
    hz.setProperty("hazelcast.socket.client.bind.any", "false");
    NetworkConfig net = hz.getNetworkConfig();
    net.setPort(Settings.CLUSTER_PORT.intIn(config)).setPortAutoIncrement(true).setPortCount(100);
    net.getInterfaces().clear().setEnabled(true).addInterface(host);
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(Settings.CLUSTER_MEMBERS.listIn(config));
    return hz;
  }

  private static Config load(String location) {
    Path file = Path.of(location);
    try {
      if (Files.isRegularFile(file)) {
        return new XmlConfigBuilder(file.toString()).build();
      }
      InputStream bundled = ClusterSetup.class.getClassLoader().getResourceAsStream("cluster.xml");
      if (bundled == null) {
        throw new FileNotFoundException(location);
      }
      return new XmlConfigBuilder(bundled).build();
    } catch (FileNotFoundException | RuntimeException e) {
      throw new ConfigException(
          Settings.CLUSTER_CONFIG, "cannot read Hazelcast XML " + location + ": " + e.getMessage());
    }
  }
}
