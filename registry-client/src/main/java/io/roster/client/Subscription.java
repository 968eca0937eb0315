package io.roster.client;

/** Stops a listener from being called. Closing twice does nothing. */
public interface Subscription extends AutoCloseable {
  @Override
  void close();
}
