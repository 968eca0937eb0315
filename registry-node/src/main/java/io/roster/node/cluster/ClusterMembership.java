package io.roster.node.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of the cluster's members, the leader and the quorum.
 *
 * <p>The leader is the oldest member: open-source Hazelcast keeps one agreed member order, so every
 * member that sees the same members names the same leader, and when the oldest dies exactly one
 * survivor becomes the oldest. Quorum is a majority of the configured cluster size, not of the
 * members seen, so a lone survivor never believes it is a cluster of one.
 *
 * <p>Threading: reads may run on any thread; membership callbacks run on Hazelcast's event threads
 * and call the registered {@link Runnable}s there.
 */
public final class ClusterMembership {

  private static final Logger log = LoggerFactory.getLogger(ClusterMembership.class);

  private final HazelcastInstance hazelcast;
  private final int expectedSize;

  public ClusterMembership(HazelcastInstance hazelcast, int expectedSize) {
    this.hazelcast = hazelcast;
    this.expectedSize = expectedSize;
  }

  /** Calls {@code onChange} after every member join or leave. */
  public void onChange(Runnable onChange) {
    hazelcast
        .getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {
                log.info(
                    "member joined: {}; members now {}",
                    describe(event.getMember()),
                    event.getMembers().size());
                onChange.run();
              }

              @Override
              public void memberRemoved(MembershipEvent event) {
                log.warn(
                    "member left: {}; members now {}",
                    describe(event.getMember()),
                    event.getMembers().size());
                onChange.run();
              }
            });
  }

  /** Members, oldest first. */
  public List<NodeInfo> members() {
    List<NodeInfo> nodes = new ArrayList<>();
    Member local = hazelcast.getCluster().getLocalMember();
    for (Member member : hazelcast.getCluster().getMembers()) {
      nodes.add(
          new NodeInfo(
              member.getUuid().toString(),
              member.getAttribute(HazelcastConfigFactory.NODE_NAME_ATTRIBUTE),
              member.getAddress().getHost() + ":" + member.getAddress().getPort(),
              member.getAttribute(HazelcastConfigFactory.API_ADDRESS_ATTRIBUTE),
              member.getUuid().equals(local.getUuid())));
    }
    return nodes;
  }

  public String localId() {
    return hazelcast.getCluster().getLocalMember().getUuid().toString();
  }

  public int expectedSize() {
    return expectedSize;
  }

  public boolean hasQuorum(int reachable) {
    return reachable >= expectedSize / 2 + 1;
  }

  private static String describe(Member member) {
    return member.getAttribute(HazelcastConfigFactory.NODE_NAME_ATTRIBUTE)
        + " ("
        + member.getAddress()
        + ")";
  }

  /**
   * One member as reported in ClusterStatus.
   *
   * @param id member UUID
   * @param name node name
   * @param memberAddress member-to-member address
   * @param apiAddress client-facing address
   * @param local whether it is this node
   */
  public record NodeInfo(
      String id, String name, String memberAddress, String apiAddress, boolean local) {}
}
