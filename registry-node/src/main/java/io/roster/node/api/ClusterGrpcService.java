package io.roster.node.api;

import io.grpc.stub.StreamObserver;
import io.roster.node.cluster.ClusterMembership;
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
 * {@code roster.v1.ClusterService}: this node's view of members, leader, quorum and counts.
 *
 * <p>Threading: called on a Vert.x event loop; reads only in-memory state.
 */
public final class ClusterGrpcService extends ClusterServiceGrpc.ClusterServiceImplBase {

  /** The eviction budget's default share (applied once eviction is enabled). */
  static final double DEFAULT_BUDGET_PERCENT = 15.0;

  private final String clusterName;
  private final ClusterMembership membership;
  private final LocalView view;

  public ClusterGrpcService(String clusterName, ClusterMembership membership, LocalView view) {
    this.clusterName = clusterName;
    this.membership = membership;
    this.view = view;
  }

  @Override
  public void clusterStatus(
      ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> observer) {
    List<ClusterMembership.NodeInfo> members = membership.members();
    ClusterStatusResponse.Builder response =
        ClusterStatusResponse.newBuilder()
            .setClusterName(clusterName)
            .setNodeId(membership.localId());
    for (ClusterMembership.NodeInfo member : members) {
      response.addMembers(
          ClusterMember.newBuilder()
              .setId(member.id())
              .setMemberAddress(member.memberAddress())
              .setApiAddress(member.apiAddress() == null ? "" : member.apiAddress())
              .setLeader(member.leader())
              .setLocal(member.local()));
      if (member.leader()) {
        response.setLeaderId(member.id());
      }
    }
    response.setQuorum(
        Quorum.newBuilder()
            .setConfiguredSize(membership.expectedSize())
            .setReachable(members.size())
            .setHasQuorum(membership.hasQuorum(members.size())));
    response.setProtection(
        Protection.newBuilder().setBudgetPercentPerMinute(DEFAULT_BUDGET_PERCENT));
    int services = 0;
    int instances = 0;
    int healthy = 0;
    for (ServiceView service : view.all()) {
      if (!service.instances().isEmpty()) {
        services++;
        instances += service.instances().size();
        healthy += service.healthyCount();
      }
    }
    response.setCounts(
        Counts.newBuilder()
            .setServices(services)
            .setInstances(instances)
            .setHealthy(healthy)
            .setUnhealthy(instances - healthy));
    observer.onNext(response.build());
    observer.onCompleted();
  }
}
