package io.roster.cli;

import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** The subcommands of ClusterService, for operators. */
final class ClusterCommands {
  private ClusterCommands() {}

  @Command(
      name = "status",
      description = "Prints the answering node's view of the cluster (ClusterStatusResponse).")
  static final class Status implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Override
    public Integer call() {
      try (Targets targets = cli.connect()) {
        cli.print(
            targets.call(
                ClusterServiceGrpc::newBlockingStub,
                s -> s.clusterStatus(ClusterStatusRequest.getDefaultInstance())));
        return 0;
      }
    }
  }
}
