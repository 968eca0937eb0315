package io.roster.cli;

import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceStatus;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What one refresh of {@code top} read: the answering node's cluster status and the counts of each
 * service of a namespace, and how both print, with the rates since the refresh before.
 *
 * <p>The API has no request rates; what it has are revisions, which grow by one with every change
 * of a service (a registration, a deregistration or eviction, a status or health change), and the
 * instances themselves. So the rates are changes per second (revision growth over the time between
 * two refreshes), and registrations and removals counted by comparing the instance ids and epochs
 * of two refreshes: an instance that came and went between them is not seen.
 *
 * @param time when the refresh was read
 * @param nanos {@link System#nanoTime} then, for the time between refreshes
 * @param namespace the namespace, as the API names it ("default" when none was given)
 * @param cluster the answering node's ClusterStatus
 * @param incarnation the registry's incarnation: revisions of two incarnations are not compared
 * @param services counts per service, in name order
 */
record NamespaceSample(
    Instant time,
    long nanos,
    String namespace,
    ClusterStatusResponse cluster,
    long incarnation,
    List<ServiceCounts> services) {

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

  /**
   * Counts of one service's instances; every instance is in exactly one of healthy, unhealthy and
   * outOfService.
   *
   * @param instances registered, in any status or health
   * @param healthy healthy and UP or DRAINING: those Discover returns (ServiceSummary's count)
   * @param draining healthy and DRAINING (counted in healthy too)
   * @param unhealthy whose lease ran out and are not evicted yet, in any status
   * @param outOfService healthy and OUT_OF_SERVICE
   * @param revision the service's revision the counts are at
   * @param registrations "id#epoch" of every instance, to tell new registrations from old ones
   */
  record ServiceCounts(
      String service,
      int instances,
      int healthy,
      int draining,
      int unhealthy,
      int outOfService,
      long revision,
      Set<String> registrations) {

    static ServiceCounts of(String service, long revision, List<Instance> instances) {
      int healthy = 0;
      int draining = 0;
      int unhealthy = 0;
      int outOfService = 0;
      Set<String> registrations = new HashSet<>();
      for (Instance instance : instances) {
        registrations.add(instance.getInstanceId() + "#" + instance.getEpoch());
        if (instance.getHealth() != HealthState.HEALTH_STATE_HEALTHY) {
          unhealthy++;
        } else if (instance.getStatus() == InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE) {
          outOfService++;
        } else {
          healthy++;
          if (instance.getStatus() == InstanceStatus.INSTANCE_STATUS_DRAINING) {
            draining++;
          }
        }
      }
      return new ServiceCounts(
          service,
          instances.size(),
          healthy,
          draining,
          unhealthy,
          outOfService,
          revision,
          Set.copyOf(registrations));
    }
  }

  /**
   * The rates between {@code previous} and this refresh.
   *
   * @param elapsedSeconds time between the two refreshes
   * @param changesPerSecond the namespace's changes per second (services listed in both)
   * @param registered registrations seen now and not before (a new id, or a new epoch of an id)
   * @param removed instance ids seen before and not now
   * @param changesPerSecondByService per service listed in both
   */
  record Rates(
      double elapsedSeconds,
      double changesPerSecond,
      int registered,
      int removed,
      Map<String, Double> changesPerSecondByService) {}

  /** The rates since {@code previous}; null without one, or across a change of incarnation. */
  Rates ratesSince(NamespaceSample previous) {
    if (previous == null || previous.incarnation != incarnation || nanos <= previous.nanos) {
      return null;
    }
    double elapsedSeconds = (nanos - previous.nanos) / 1e9;
    Map<String, ServiceCounts> before = new HashMap<>();
    previous.services.forEach(counts -> before.put(counts.service(), counts));
    Map<String, Double> byService = new HashMap<>();
    long changes = 0;
    int registered = 0;
    Set<String> idsNow = new HashSet<>();
    for (ServiceCounts now : services) {
      ServiceCounts then = before.get(now.service());
      if (then != null && now.revision() >= then.revision()) {
        changes += now.revision() - then.revision();
        byService.put(now.service(), (now.revision() - then.revision()) / elapsedSeconds);
      }
      Set<String> registrationsThen = then == null ? Set.of() : then.registrations();
      for (String registration : now.registrations()) {
        idsNow.add(now.service() + "/" + idOf(registration));
        if (!registrationsThen.contains(registration)) {
          registered++;
        }
      }
    }
    int removed = 0;
    for (ServiceCounts then : previous.services) {
      for (String registration : then.registrations()) {
        if (!idsNow.contains(then.service() + "/" + idOf(registration))) {
          removed++;
        }
      }
    }
    return new Rates(elapsedSeconds, changes / elapsedSeconds, registered, removed, byService);
  }

  private static String idOf(String registration) {
    return registration.substring(0, registration.lastIndexOf('#'));
  }

  /** The table form: the cluster's lines, then a row per service. */
  List<String> lines(NamespaceSample previous) {
    Rates rates = ratesSince(previous);
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            "cluster %s at %s, answered by %s, leader %s",
            cluster.getClusterName(), CLOCK.format(time), apiAddress(true), apiAddress(false)));
    lines.add(
        String.format(
            "nodes: %d of %d reachable, %s; eviction protection %s",
            cluster.getQuorum().getReachable(),
            cluster.getQuorum().getConfiguredSize(),
            cluster.getQuorum().getHasQuorum() ? "quorum" : "NO QUORUM",
            cluster.getProtection().getActive()
                ? "ACTIVE (" + cluster.getProtection().getHeldBack() + " held back)"
                : "off"));
    lines.add(
        String.format(
            "registry: %d services, %d instances (%d healthy, %d unhealthy)",
            cluster.getCounts().getServices(),
            cluster.getCounts().getInstances(),
            cluster.getCounts().getHealthy(),
            cluster.getCounts().getUnhealthy()));
    lines.add(
        "namespace "
            + namespace
            + ": "
            + services.size()
            + " services"
            + (rates == null
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; %.1f changes/s, %d registered, %d removed in the last %.1f s",
                    rates.changesPerSecond(),
                    rates.registered(),
                    rates.removed(),
                    rates.elapsedSeconds())));
    lines.add("");
    Table table =
        new Table(
            "SERVICE",
            "INSTANCES",
            "HEALTHY",
            "DRAINING",
            "UNHEALTHY",
            "OUT",
            "REVISION",
            "CHANGES/S");
    for (ServiceCounts counts : services) {
      Double perSecond =
          rates == null ? null : rates.changesPerSecondByService().get(counts.service());
      table.row(
          counts.service(),
          counts.instances(),
          counts.healthy(),
          counts.draining(),
          counts.unhealthy(),
          counts.outOfService(),
          counts.revision(),
          perSecond == null ? null : String.format(Locale.ROOT, "%.1f", perSecond));
    }
    lines.addAll(table.lines());
    return lines;
  }

  /**
   * The JSON form: {@code time}, {@code namespace}, {@code incarnation}; the rates ({@code
   * elapsedS}, {@code changesPerS}, {@code registered}, {@code removed}; null on the first
   * refresh); {@code cluster} (the ClusterStatusResponse); {@code services}, each with {@code
   * service}, {@code instances}, {@code healthy}, {@code draining}, {@code unhealthy}, {@code
   * outOfService}, {@code revision}, {@code changesPerS}.
   */
  JsonObject json(NamespaceSample previous) {
    Rates rates = ratesSince(previous);
    List<JsonObject> rows = new ArrayList<>();
    for (ServiceCounts counts : services) {
      rows.add(
          new JsonObject()
              .put("service", counts.service())
              .put("instances", counts.instances())
              .put("healthy", counts.healthy())
              .put("draining", counts.draining())
              .put("unhealthy", counts.unhealthy())
              .put("outOfService", counts.outOfService())
              .put("revision", counts.revision())
              .put(
                  "changesPerS",
                  rates == null ? null : rates.changesPerSecondByService().get(counts.service())));
    }
    return new JsonObject()
        .put("time", time.toString())
        .put("namespace", namespace)
        .put("incarnation", incarnation)
        .put("elapsedS", rates == null ? null : rates.elapsedSeconds())
        .put("changesPerS", rates == null ? null : rates.changesPerSecond())
        .put("registered", rates == null ? null : (Integer) rates.registered())
        .put("removed", rates == null ? null : (Integer) rates.removed())
        .put("cluster", cluster)
        .put("services", rows);
  }

  /** The API address of the member that answered ({@code local}), or of the leader. */
  private String apiAddress(boolean local) {
    for (ClusterMember member : cluster.getMembersList()) {
      if (local ? member.getLocal() : member.getLeader()) {
        return member.getApiAddress();
      }
    }
    return "none";
  }
}
