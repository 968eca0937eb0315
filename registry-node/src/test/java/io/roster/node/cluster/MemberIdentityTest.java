package io.roster.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.impl.MemberImpl;
import io.roster.node.config.ClusterSecret;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Which members count as Roster nodes of a cluster, and what a majority of them is. */
class MemberIdentityTest {

  private static final ClusterSecret SECRET =
      ClusterSecret.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));

  private final MemberIdentity identity = new MemberIdentity("prod", SECRET);

  @Test
  void aNodeWithTheProofOfItsOwnAddressIsTrusted() throws Exception {
    Member node = member("10.0.0.1", 5701, identity.proofFor("10.0.0.1", 5701), false);

    assertTrue(identity.trusts(node));
    assertNull(identity.distrust(node));
  }

  @Test
  void aProofCopiedToAnotherAddressIsNot() throws Exception {
    Member impostor = member("10.0.0.66", 5701, identity.proofFor("10.0.0.1", 5701), false);

    assertFalse(identity.trusts(impostor));
    assertEquals("its proof of the cluster secret does not match", identity.distrust(impostor));
  }

  @Test
  void aProofUnderAnotherSecretOrClusterNameIsNot() throws Exception {
    MemberIdentity otherSecret =
        new MemberIdentity(
            "prod",
            ClusterSecret.of("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8)));
    MemberIdentity otherCluster = new MemberIdentity("staging", SECRET);

    assertFalse(
        identity.trusts(member("10.0.0.1", 5701, otherSecret.proofFor("10.0.0.1", 5701), false)));
    assertFalse(
        identity.trusts(member("10.0.0.1", 5701, otherCluster.proofFor("10.0.0.1", 5701), false)));
  }

  @Test
  void liteMembersAndMembersWithoutAProofAreNeverTrusted() throws Exception {
    Member lite = member("10.0.0.2", 5701, identity.proofFor("10.0.0.2", 5701), true);
    Member plain = member("10.0.0.3", 5701, null, false);

    assertFalse(identity.trusts(lite));
    assertEquals("a lite member", identity.distrust(lite));
    assertFalse(identity.trusts(plain));
    assertTrue(identity.distrust(plain).startsWith("not a Roster node"));
  }

  @Test
  void withoutASecretAnyFullMemberCarryingTheAttributeIsTrusted() throws Exception {
    MemberIdentity open = new MemberIdentity("local", ClusterSecret.none());

    assertTrue(open.trusts(member("127.0.0.1", 5701, MemberIdentity.UNSIGNED, false)));
    assertFalse(open.trusts(member("127.0.0.1", 5702, null, false)));
    assertFalse(open.trusts(member("127.0.0.1", 5703, MemberIdentity.UNSIGNED, true)));
  }

  @Test
  void aMajorityCountsOnlyTrustedMembers() throws Exception {
    Member node1 = member("10.0.0.1", 5701, identity.proofFor("10.0.0.1", 5701), false);
    Member node2 = member("10.0.0.2", 5701, identity.proofFor("10.0.0.2", 5701), false);
    Member lite = member("10.0.0.9", 5701, null, true);
    Member stranger = member("10.0.0.8", 5701, null, false);
    TrustedMajority majorityOfThree = new TrustedMajority(identity, 2);

    assertFalse(majorityOfThree.apply(List.of(node1, lite, stranger)));
    assertTrue(majorityOfThree.apply(List.of(node1, node2)));
    assertTrue(majorityOfThree.apply(List.of(node1, lite, node2)));
  }

  private static Member member(String host, int port, String proof, boolean lite)
      throws UnknownHostException {
    Map<String, String> attributes = new HashMap<>();
    if (proof != null) {
      attributes.put(MemberIdentity.PROOF_ATTRIBUTE, proof);
    }
    return new MemberImpl.Builder(new Address(host, port))
        .uuid(UUID.randomUUID())
        .attributes(attributes)
        .liteMember(lite)
        .build();
  }
}
