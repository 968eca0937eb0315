package io.roster.node.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
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
 * <p>Only Roster nodes of this cluster count ({@link MemberIdentity}): the members, the leader and
 * the quorum leave out any lite member or stranger that joined the member port. The master (the
 * oldest member) removes each such member as soon as it sees it, through Hazelcast's own member
 * removal (an internal API: open-source Hazelcast has no member authentication); a stranger that
 * keeps joining keeps being removed, and is never counted meanwhile.
 *
 * <p>Threading: reads may run on any thread; membership callbacks run on Hazelcast's event threads
 * and call the registered {@link Runnable}s there.
 */
public final class ClusterMembership {

  private static final Logger log = LoggerFactory.getLogger(ClusterMembership.class);

  private final HazelcastInstance hazelcast;
  private final int expectedSize;
  private final MemberIdentity identity;

  public ClusterMembership(HazelcastInstance hazelcast, int expectedSize, MemberIdentity identity) {
    this.hazelcast = hazelcast;
    this.expectedSize = expectedSize;
    this.identity = identity;
  }

  /**
   * Watches for members that are not Roster nodes of this cluster: logs each and, on the master,
   * removes it. Call once, when the member has joined; members already there are checked too.
   */
  public void keepStrangersOut() {
    hazelcast
        .getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {
                refuseIfStranger(event.getMember());
              }

              @Override
              public void memberRemoved(MembershipEvent event) {}
            });
    for (Member member : hazelcast.getCluster().getMembers()) {
      refuseIfStranger(member);
    }
  }

  private void refuseIfStranger(Member member) {
    String why = identity.distrust(member);
    if (why == null) {
      return;
    }
    boolean master = hazelcast.getCluster().getMembers().iterator().next().localMember();
    log.warn(
        "member {} is {}: not counted toward quorum or leadership{}",
        member.getAddress(),
        why,
        master ? "; removing it from the cluster" : "; the master removes it");
    if (master && hazelcast instanceof HazelcastInstanceProxy proxy) {
      proxy
          .getOriginal()
          .node
          .getClusterService()
          .suspectMember(member, "not a Roster node of this cluster: " + why, true);
    }
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

  /** The Roster nodes among the members, oldest first. */
  public List<NodeInfo> members() {
    List<NodeInfo> nodes = new ArrayList<>();
    Member local = hazelcast.getCluster().getLocalMember();
    for (Member member : hazelcast.getCluster().getMembers()) {
      if (!identity.trusts(member)) {
        continue;
      }
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

  /** Whether {@code member} is a Roster node of this cluster. */
  public boolean trusts(Member member) {
    return identity.trusts(member);
  }

  /** Members that are not Roster nodes of this cluster, each as "address (why)". */
  public List<String> strangers() {
    List<String> strangers = new ArrayList<>();
    for (Member member : hazelcast.getCluster().getMembers()) {
      String why = identity.distrust(member);
      if (why != null) {
        strangers.add(
            member.getAddress().getHost() + ":" + member.getAddress().getPort() + " (" + why + ")");
      }
    }
    return strangers;
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
    String name = member.getAttribute(HazelcastConfigFactory.NODE_NAME_ATTRIBUTE);
    return (name == null ? "(not a Roster node)" : name) + " (" + member.getAddress() + ")";
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
