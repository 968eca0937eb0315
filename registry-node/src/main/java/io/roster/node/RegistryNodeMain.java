package io.roster.node;

import io.roster.node.config.ConfigException;
import io.roster.node.config.ConfigLoader;
import io.roster.node.config.NodeConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a registry node from flags, environment and an optional file; stops it on SIGTERM. */
public final class RegistryNodeMain {

  private static final Logger log = LoggerFactory.getLogger(RegistryNodeMain.class);

  private RegistryNodeMain() {}

  public static void main(String[] args) {
    NodeConfig config;
    try {
      config = ConfigLoader.load(args, System.getenv());
    } catch (ConfigException e) {
      System.err.println("roster: bad configuration: " + e.getMessage());
      System.exit(64);
      return;
    }
    RegistryNode node;
    try {
      node = RegistryNode.start(config);
    } catch (RuntimeException e) {
      log.error("node {} failed to start", config.nodeName(), e);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "roster-shutdown"));
  }
}
