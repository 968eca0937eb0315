package io.roster.node.cluster;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import io.roster.node.config.ClusterSecret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tells the Roster nodes of this cluster from any other Hazelcast member that joined it: a lite
 * member, a stranger's member with the right cluster name, a tool. Open-source Hazelcast lets any
 * of those join (it has no member authentication), and counted among the members they made a
 * minority look like a majority: a lone node and a stranger's lite member read "2 of 3, quorum",
 * and a leader with such a quorum may evict. Quorum, leadership and the leader's pings count only
 * the members this class trusts.
 *
 * <p>A node is trusted when it is a full (data) member and carries the attribute {@value
 * #PROOF_ATTRIBUTE}: with a {@link ClusterSecret}, an HMAC-SHA256 under the secret of the cluster's
 * name and the member's own address, which only a holder of the secret can make and which no other
 * address can reuse (a stranger copying a node's attribute presents it from its own address, where
 * it does not match); without a secret, the attribute need only be there, which keeps out lite
 * members and members that are not Roster nodes, not a deliberate impostor.
 *
 * <p>What this cannot do: keep a stranger from joining, nor from reading or writing the data while
 * it is a member. The member network must be private (docs/security.md); a node removes the
 * untrusted members it sees when it is the cluster's master ({@link ClusterMembership}).
 *
 * <p>Immutable; thread-safe.
 */
public final class MemberIdentity {

  /** Member attribute holding a node's proof. */
  static final String PROOF_ATTRIBUTE = "roster.proof";

  /** The proof of a node of a cluster without a secret. */
  static final String UNSIGNED = "unsigned";

  private static final String ALGORITHM = "HmacSHA256";

  /** Verdicts are kept at most for this many members (one per join); past it they start over. */
  private static final int MAX_VERDICTS = 1024;

  private final String clusterName;
  private final ClusterSecret secret;

  /**
   * {@link #trusts} per member: a member's address and attributes never change, and quorum,
   * leadership and the leader's pings ask about every member several times a second.
   */
  private final Map<UUID, Boolean> verdicts = new ConcurrentHashMap<>();

  public MemberIdentity(String clusterName, ClusterSecret secret) {
    this.clusterName = clusterName;
    this.secret = secret;
  }

  /** The proof a node at {@code host:port} carries. */
  String proofFor(String host, int port) {
    if (!secret.isSet()) {
      return UNSIGNED;
    }
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(secret.bytes(), ALGORITHM));
      byte[] proof =
          mac.doFinal(
              ("roster-member-v1\n" + clusterName + "\n" + host + ":" + port)
                  .getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(proof);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
    }
  }

  /** Whether {@code member} is a Roster node of this cluster. */
  public boolean trusts(Member member) {
    Boolean known = verdicts.get(member.getUuid());
    if (known != null) {
      return known;
    }
    boolean verdict = verify(member);
    if (verdicts.size() >= MAX_VERDICTS) {
      verdicts.clear();
    }
    verdicts.put(member.getUuid(), verdict);
    return verdict;
  }

  private boolean verify(Member member) {
    if (member.isLiteMember()) {
      return false;
    }
    String presented = member.getAttribute(PROOF_ATTRIBUTE);
    if (presented == null) {
      return false;
    }
    Address address = member.getAddress();
    String expected = proofFor(address.getHost(), address.getPort());
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
  }

  /** Why {@code member} is not trusted, for logs and status; null when it is. */
  public String distrust(Member member) {
    if (member.isLiteMember()) {
      return "a lite member";
    }
    if (member.getAttribute(PROOF_ATTRIBUTE) == null) {
      return "not a Roster node (no " + PROOF_ATTRIBUTE + " attribute)";
    }
    return trusts(member) ? null : "its proof of the cluster secret does not match";
  }
}
