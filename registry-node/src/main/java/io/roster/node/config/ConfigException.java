package io.roster.node.config;

/** The configuration is wrong; the message names the key and says what it takes. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
