package io.roster.node.api;

import io.grpc.stub.StreamObserver;
import io.roster.node.cluster.ClusterMembership;
import io.roster.node.cluster.EvictionSweeper;
import io.roster.node.cluster.Leadership;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.Counts;
import io.roster.v1.Protection;
import io.roster.v1.Quorum;
import java.util.List;

/**
 * {@code roster.v1.ClusterService}: this node's view of members, leader, quorum, eviction
 * protection and counts.
 *
 * <p>Threading: called on a Vert.x event loop; reads only in-memory state (the leader record is the
 * last one read, refreshed on membership changes and periodically).
 */
public final class ClusterGrpcService extends ClusterServiceGrpc.ClusterServiceImplBase {

  private final String clusterName;
  private final ClusterMembership membership;
  private final Leadership leadership;
  private final EvictionSweeper sweeper;
  private final double budgetPercentPerMinute;
  private final LocalView view;
  private final Incarnation incarnation;
  private final List<String> securityGaps;

  public ClusterGrpcService(
      String clusterName,
      ClusterMembership membership,
      Leadership leadership,
      EvictionSweeper sweeper,
      double budgetPercentPerMinute,
      LocalView view,
      Incarnation incarnation,
      List<String> securityGaps) {
    this.securityGaps = List.copyOf(securityGaps);
    this.incarnation = incarnation;
    this.clusterName = clusterName;
    this.membership = membership;
    this.leadership = leadership;
    this.sweeper = sweeper;
    this.budgetPercentPerMinute = budgetPercentPerMinute;
    this.view = view;
  }

  @Override
  public void clusterStatus(
      ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> observer) {
    List<ClusterMembership.NodeInfo> members = membership.members();
    ClusterStatusResponse.Builder response =
        ClusterStatusResponse.newBuilder()
            .setClusterName(clusterName)
            .setNodeId(membership.localId())
            .setIncarnation(incarnation.current());
    String leaderId = leadership.leaderId().toString();
    for (ClusterMembership.NodeInfo member : members) {
      response.addMembers(
          ClusterMember.newBuilder()
              .setId(member.id())
              .setMemberAddress(member.memberAddress())
              .setApiAddress(member.apiAddress() == null ? "" : member.apiAddress())
              .setLeader(member.id().equals(leaderId))
              .setLocal(member.local()));
    }
    response.addAllStrangers(membership.strangers());
    response.addAllSecurityGaps(securityGaps);
    response.setLeaderId(leaderId);
    var record = leadership.record();
    if (record != null && record.leader().equals(leadership.leaderId())) {
      response.setLeaderEpoch(record.epoch());
    }
    boolean quorum = membership.hasQuorum(members.size());
    response.setQuorum(
        Quorum.newBuilder()
            .setConfiguredSize(membership.expectedSize())
            .setReachable(members.size())
            .setHasQuorum(quorum));
    Protection.Builder protection =
        Protection.newBuilder().setBudgetPercentPerMinute(budgetPercentPerMinute);
    int heldBack = sweeper.clusterHeldBack();
    boolean holding = leadership.isLocalLeader() ? sweeper.status().active() : heldBack > 0;
    protection.setHeldBack(heldBack).setActive(holding || !quorum);
    response.setProtection(protection);
    int services = 0;
    int instances = 0;
    int healthy = 0;
    for (ServiceView service : view.all()) {
      if (!service.isEmpty()) {
        services++;
        instances += service.size();
        healthy += service.healthyCount();
      }
    }
    response.setCounts(
        Counts.newBuilder()
            .setServices(services)
            .setInstances(instances)
            .setHealthy(healthy)
            .setUnhealthy(instances - healthy));
    Replies.answer(observer, response.build());
  }
}
