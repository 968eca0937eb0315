package io.roster.testing;

import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import java.util.concurrent.atomic.AtomicInteger;

/** Builds instances for tests: unique, valid, easy to tell apart. */
public final class Instances {

  private static final AtomicInteger sequence = new AtomicInteger();

  private Instances() {}

  /** A valid instance of {@code service} with a unique id and port on 127.0.0.1. */
  public static Instance.Builder of(String service) {
    int n = sequence.incrementAndGet();
    return Instance.newBuilder()
        .setService(service)
        .setInstanceId(service + "-" + n)
        .setHost("127.0.0.1")
        .setPort(20_000 + n % 40_000);
  }

  public static RegisterRequest register(Instance.Builder instance) {
    return RegisterRequest.newBuilder().setInstance(instance).build();
  }
}
