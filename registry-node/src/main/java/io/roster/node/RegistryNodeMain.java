package io.roster.node;

import io.roster.node.config.ConfigException;
import io.roster.node.config.ConfigLoader;
import io.roster.node.config.NodeConfig;
import io.roster.node.logging.LogSetup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a registry node from flags, environment and an optional file; stops it on SIGTERM. */
public final class RegistryNodeMain {

  private static final Logger log = LoggerFactory.getLogger(RegistryNodeMain.class);

  private RegistryNodeMain() {}

  /**
   * Hazelcast runs the dependents of its futures on the JDK's common fork-join pool. The JDK sizes
   * that pool at one thread fewer than the cores; with 2 cores or fewer it then starts a new thread
   * for every dependent instead: thousands a second under load, which held a node to a few hundred
   * registrations and a few thousand heartbeats a second. Four threads is what the node needs on
   * any machine; an operator can still choose with the same system property.
   */
  static final String COMMON_POOL_PARALLELISM =
      "java.util.concurrent.ForkJoinPool.common.parallelism";

  static final int MIN_COMMON_POOL_PARALLELISM = 4;

  public static void main(String[] args) {
    // Before anything touches the common pool: it reads the property once, when first used.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(
          COMMON_POOL_PARALLELISM,
          String.valueOf(
              Math.max(
                  MIN_COMMON_POOL_PARALLELISM, Runtime.getRuntime().availableProcessors() - 1)));
    }
    NodeConfig config;
    try {
      config = ConfigLoader.load(args, System.getenv());
    } catch (ConfigException e) {
      System.err.println("roster: bad configuration: " + e.getMessage());
      System.exit(64);
      return;
    }
    // Before the first line is logged: every line in the configured format, none lost or doubled.
    LogSetup.configure(config.logs().format(), config.nodeName(), config.logs().levels());
    RegistryNode node;
    try {
      node = RegistryNode.start(config);
    } catch (ConfigException e) {
      // A file the configuration names turned out wrong (a TLS certificate or key).
      System.err.println("roster: bad configuration: " + e.getMessage());
      System.exit(64);
      return;
    } catch (RuntimeException e) {
      log.error("node {} failed to start", config.nodeName(), e);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "roster-shutdown"));
  }
}
