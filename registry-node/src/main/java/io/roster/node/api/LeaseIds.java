package io.roster.node.api;

import io.roster.node.config.ClusterSecret;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceValidator;
import io.roster.node.domain.InvalidArgumentException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Lease ids that only the registrant holds: {@code namespace/service/instance_id/epoch.tag}, where
 * the tag is 128 bits of an HMAC-SHA256, under a key every node derives from the cluster's secret,
 * of everything before it. Renewing a lease takes its id, so a caller that knows an instance's name
 * and epoch (Discover shows both) can no longer keep a dead instance alive or renew another's: the
 * lease id was derivable from the instance key before.
 *
 * <p>Why a tag and not a random secret stored with the lease: any node checks a lease id on its
 * own, before any call to the cluster, so a forged heartbeat costs one HMAC and touches no
 * partition; nothing is added to the lease records, their backups or their merges. The tag binds
 * the epoch, so a lease id names one registration: registering again gives a new one, and the old
 * one is told it was replaced. Without {@code cluster.secret-file} the key comes from the cluster's
 * name alone, which anyone may know: lease ids then protect nothing (docs/security.md).
 *
 * <p>Thread-safe: each thread uses a {@link Mac} of its own.
 */
public final class LeaseIds {

  private static final String ALGORITHM = "HmacSHA256";
  private static final int TAG_BYTES = 16;
  private static final int MAX_LEASE_ID_BYTES = 512;

  private final ThreadLocal<Mac> macs;

  private LeaseIds(byte[] key) {
    SecretKeySpec spec = new SecretKeySpec(key, ALGORITHM);
    this.macs =
        ThreadLocal.withInitial(
            () -> {
              try {
                Mac mac = Mac.getInstance(ALGORITHM);
                mac.init(spec);
                return mac;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
              }
            });
  }

  /** Lease ids of the cluster named {@code clusterName}, keyed by its secret when it has one. */
  public static LeaseIds of(String clusterName, ClusterSecret secret) {
    byte[] root =
        secret.isSet()
            ? secret.bytes()
            : ("roster-cluster\n" + clusterName).getBytes(StandardCharsets.UTF_8);
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(root, ALGORITHM));
      return new LeaseIds(
          mac.doFinal(("roster-lease-ids-v1\n" + clusterName).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
    }
  }

  /** The lease id of registration {@code epoch} of {@code key}. */
  public String leaseId(InstanceKey key, long epoch) {
    String named = key.namespace() + "/" + key.service() + "/" + key.instanceId() + "/" + epoch;
    return named + "." + tag(named);
  }

  /**
   * The registration a lease id names.
   *
   * @throws InvalidArgumentException when it is not shaped as a lease id
   * @throws UnknownLeaseException when its tag is not the registry's: a forged id, one of another
   *     cluster, or one issued under another secret
   */
  Lease parse(String field, String leaseId) {
    if (leaseId.isEmpty()) {
      throw new InvalidArgumentException(field, "is required (the lease_id Register returned)");
    }
    if (leaseId.length() > MAX_LEASE_ID_BYTES) {
      throw new InvalidArgumentException(field, "is longer than " + MAX_LEASE_ID_BYTES + " bytes");
    }
    int dot = leaseId.lastIndexOf('.');
    int epochStart = leaseId.lastIndexOf('/', dot) + 1;
    int first = leaseId.indexOf('/');
    int second = first < 0 ? -1 : leaseId.indexOf('/', first + 1);
    if (dot < 0 || first <= 0 || second <= first + 1 || epochStart <= second + 1) {
      throw notALeaseId(field, leaseId);
    }
    InstanceKey key;
    long epoch;
    try {
      key =
          new InstanceKey(
              InstanceValidator.namespace(field, leaseId.substring(0, first)),
              InstanceValidator.service(field, leaseId.substring(first + 1, second)),
              InstanceValidator.instanceId(field, leaseId.substring(second + 1, epochStart - 1)));
      epoch = Long.parseLong(leaseId.substring(epochStart, dot));
    } catch (InvalidArgumentException | NumberFormatException e) {
      throw notALeaseId(field, leaseId);
    }
    if (epoch <= 0) {
      throw notALeaseId(field, leaseId);
    }
    byte[] presented;
    try {
      presented = Base64.getUrlDecoder().decode(leaseId.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw notALeaseId(field, leaseId);
    }
    byte[] expected = rawTag(leaseId.substring(0, dot));
    if (!MessageDigest.isEqual(expected, presented)) {
      throw new UnknownLeaseException(leaseId);
    }
    return new Lease(key, epoch);
  }

  private String tag(String named) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(rawTag(named));
  }

  private byte[] rawTag(String named) {
    return Arrays.copyOf(macs.get().doFinal(named.getBytes(StandardCharsets.UTF_8)), TAG_BYTES);
  }

  private static InvalidArgumentException notALeaseId(String field, String leaseId) {
    return new InvalidArgumentException(
        field, "is not a lease id Register returned: " + InstanceValidator.quote(leaseId));
  }

  /** The registration a lease id names: its instance and epoch. */
  record Lease(InstanceKey key, long epoch) {}

  /** A lease id whose tag is not the registry's: answered as an unknown lease. */
  static final class UnknownLeaseException extends RuntimeException {
    private final String named;

    UnknownLeaseException(String leaseId) {
      super(
          "unknown lease " + InstanceValidator.quote(leaseId) + ": register again",
          null,
          false,
          false);
      this.named = leaseId.substring(0, leaseId.lastIndexOf('.'));
    }

    /** The message with the lease id's tag left out, for the log. */
    String withoutTag() {
      return "unknown lease "
          + InstanceValidator.quote(named + ".<tag not logged>")
          + ": register again";
    }
  }
}
