package io.roster.cli;

import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.Counts;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** The subcommands of ClusterService, for operators. */
final class ClusterCommands {
  private ClusterCommands() {}

  @Command(
      name = "status",
      description = {
        "Prints the answering node's view of the cluster (ClusterStatusResponse).",
        "table: one row per member (ID, API address, member address, ROLE: leader, answered),"
            + " then the quorum, the eviction protection, the registry's counts, and any"
            + " stranger or security gap."
      })
  static final class Status implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Override
    public Integer call() {
      try (Targets targets = cli.connect()) {
        ClusterStatusResponse status =
            targets.call(
                ClusterServiceGrpc::newBlockingStub,
                s -> s.clusterStatus(ClusterStatusRequest.getDefaultInstance()));
        cli.print(status, table(status));
        return 0;
      }
    }

    static Table table(ClusterStatusResponse status) {
      Table table = new Table("MEMBER", "API", "CLUSTER", "ROLE");
      for (ClusterMember member : status.getMembersList()) {
        List<String> roles = new ArrayList<>();
        if (member.getLeader()) {
          roles.add("leader");
        }
        if (member.getLocal()) {
          roles.add("answered");
        }
        table.row(
            member.getId(),
            member.getApiAddress(),
            member.getMemberAddress(),
            String.join(", ", roles));
      }
      summary(status).forEach(table::note);
      return table;
    }

    /** The lines under the members: quorum, protection, counts, strangers, security gaps. */
    static List<String> summary(ClusterStatusResponse status) {
      List<String> lines = new ArrayList<>();
      lines.add(
          String.format(
              "cluster %s: %d of %d nodes reachable, %s, leader epoch %d",
              status.getClusterName(),
              status.getQuorum().getReachable(),
              status.getQuorum().getConfiguredSize(),
              status.getQuorum().getHasQuorum() ? "quorum" : "NO QUORUM (no eviction)",
              status.getLeaderEpoch()));
      lines.add(
          "eviction protection "
              + (status.getProtection().getActive() ? "ACTIVE" : "off")
              + ", "
              + status.getProtection().getHeldBack()
              + " expired leases held back");
      Counts counts = status.getCounts();
      lines.add(
          String.format(
              "%d services, %d instances: %d healthy, %d unhealthy",
              counts.getServices(),
              counts.getInstances(),
              counts.getHealthy(),
              counts.getUnhealthy()));
      status.getStrangersList().forEach(stranger -> lines.add("stranger: " + stranger));
      status.getSecurityGapsList().forEach(gap -> lines.add("security gap: " + gap));
      return lines;
    }
  }
}
