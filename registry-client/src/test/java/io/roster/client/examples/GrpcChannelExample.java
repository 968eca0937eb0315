package io.roster.client.examples;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.roster.client.RosterClient;
import io.roster.client.grpc.RosterNameResolverProvider;

/** grpc-java channels on roster: targets: docs/client.md, "grpc-java". Compiled, not run. */
final class GrpcChannelExample {

  private GrpcChannelExample() {}

  static ManagedChannel plain() {
    // docs:begin plain
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget("roster:///orders").usePlaintext().build();
    // docs:end
    return channel;
  }

  static ManagedChannel withClient(RosterClient roster) {
    // docs:begin with-client
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget("roster:///orders")
            .setNameResolverArg(RosterNameResolverProvider.CLIENT, roster)
            .usePlaintext()
            .build();
    // docs:end
    return channel;
  }

  static ManagedChannel withNodes() {
    // docs:begin with-nodes
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(
                "roster://10.0.0.1:7101,10.0.0.2:7101/orders?namespace=prod")
            .usePlaintext()
            .build();
    // docs:end
    return channel;
  }
}
