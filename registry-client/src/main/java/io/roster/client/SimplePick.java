package io.roster.client;

/** A pick with nothing to count: {@link #done()} does nothing. */
record SimplePick(ServiceInstance instance) implements Pick {
  @Override
  public void done() {}
}
