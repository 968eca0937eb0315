package io.roster.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.KubernetesConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.roster.node.cluster.HazelcastConfigFactory;
import io.roster.node.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kubernetes checked without a cluster: the objects parse strictly, agree with each other
 * (selectors, ports, names), and the configuration a pod would get loads through the node's own
 * loader, with the Secrets' files as the docs make them, into the Hazelcast configuration the node
 * would start with.
 */
@Timeout(60)
class KubernetesManifestsTest {

  /** What the downward API would give one pod. */
  private static final Map<String, String> POD_FIELDS =
      Map.of(
          "status.podIP",
          "10.244.1.7",
          "metadata.name",
          "roster-0",
          "metadata.namespace",
          "roster");

  private static KubernetesManifests manifests;
  private static StatefulSet statefulSet;
  private static PodSpec pod;
  private static Container container;
  private static Map<String, String> podLabels;
  private static Dockerfile dockerfile;
  private static NodeConfig config;

  @TempDir static Path temp;

  @BeforeAll
  static void read() throws Exception {
    manifests = KubernetesManifests.read(DeployFiles.KUBERNETES);
    statefulSet = manifests.only(StatefulSet.class);
    pod = statefulSet.getSpec().getTemplate().getSpec();
    assertEquals(1, pod.getContainers().size(), "one container");
    container = pod.getContainers().get(0);
    podLabels = statefulSet.getSpec().getTemplate().getMetadata().getLabels();
    dockerfile = Dockerfile.read(DeployFiles.DOCKERFILE);
    config = DeployFiles.loadNodeConfig(podEnvironment(), "the pod's environment");
  }

  @Test
  void threeReplicasOfOneSecuredCluster() {
    assertEquals(3, statefulSet.getSpec().getReplicas());
    assertEquals(
        statefulSet.getSpec().getReplicas(), config.cluster().expectedSize(), "cluster.size");
    assertTrue(
        selects(statefulSet.getSpec().getSelector(), podLabels), "the selector selects the pods");
    // A node is ready only with a quorum: an ordered start would wait for ever on the first pod.
    assertEquals("Parallel", statefulSet.getSpec().getPodManagementPolicy());
    assertEquals(List.of(), config.securityGaps(), "runs secured (TLS, callers, cluster secret)");
    assertEquals("10.244.1.7", config.cluster().host(), "the member binds to the pod's address");
    assertEquals("roster-0", config.nodeName());
  }

  @Test
  void probesAndPortsAreTheConfiguredOnes() {
    int health = config.health().port();
    assertTrue(health > 0, "the health port is on");
    assertEquals(config.api().port(), containerPort("api"));
    assertEquals(config.cluster().port(), containerPort("member"));
    assertEquals(health, containerPort("health"));
    assertEquals(3, container.getPorts().size(), "api, member, health: " + container.getPorts());

    Probe startup = container.getStartupProbe();
    Probe liveness = container.getLivenessProbe();
    Probe readiness = container.getReadinessProbe();
    for (Probe probe : List.of(startup, liveness, readiness)) {
      assertNotNull(probe.getGrpc(), "gRPC probes");
      assertEquals(health, probe.getGrpc().getPort(), "probes ask the health port");
    }
    assertTrue(
        Objects.requireNonNullElse(liveness.getGrpc().getService(), "").isEmpty(), "live: \"\"");
    assertTrue(
        Objects.requireNonNullElse(startup.getGrpc().getService(), "").isEmpty(), "live: \"\"");
    assertEquals("readiness", readiness.getGrpc().getService());
    assertTrue(
        startup.getPeriodSeconds() * startup.getFailureThreshold()
            > config.cluster().joinWaitSeconds() * 6L,
        "the startup probe leaves time to join");
  }

  @Test
  void gracefulStopOutlastsDrainAndLeave() {
    List<String> preStop = container.getLifecycle().getPreStop().getExec().getCommand();
    List<String> entryPoint = dockerfile.only("ENTRYPOINT", dockerfile.lastStage()).execForm(null);
    assertEquals(
        List.of(entryPoint.get(0), "drain"), preStop, "preStop drains through the launcher");
    String drainWait = podEnvironment().get("ROSTER_DRAIN_WAIT_S");
    long drain = drainWait == null ? DeployFiles.DEFAULT_DRAIN_WAIT_S : Long.parseLong(drainWait);
    long handOver =
        Long.parseLong(
            HazelcastConfigFactory.create(config)
                .getProperty("hazelcast.graceful.shutdown.max.wait"));
    long needed = drain + config.shutdownGraceMillis() / 1000 + handOver;
    long grace = pod.getTerminationGracePeriodSeconds();
    assertTrue(grace > needed, "terminationGracePeriodSeconds " + grace + " <= " + needed);
  }

  @Test
  void disruptionBudgetAndAntiAffinityCoverThePods() {
    PodDisruptionBudget budget = manifests.only(PodDisruptionBudget.class);
    assertTrue(selects(budget.getSpec().getSelector(), podLabels), "the PDB selects the pods");
    assertEquals(new IntOrString(1), budget.getSpec().getMaxUnavailable());
    assertNull(budget.getSpec().getMinAvailable());

    var antiAffinity = pod.getAffinity().getPodAntiAffinity();
    List<PodAffinityTerm> required =
        antiAffinity.getRequiredDuringSchedulingIgnoredDuringExecution();
    assertTrue(
        required.stream()
            .anyMatch(
                t ->
                    t.getTopologyKey().equals("kubernetes.io/hostname")
                        && selects(t.getLabelSelector(), podLabels)),
        "never two nodes on one host");
    assertTrue(
        antiAffinity.getPreferredDuringSchedulingIgnoredDuringExecution().stream()
            .anyMatch(
                t ->
                    t.getPodAffinityTerm().getTopologyKey().equals("topology.kubernetes.io/zone")
                        && selects(t.getPodAffinityTerm().getLabelSelector(), podLabels)),
        "spread over zones where there are");
  }

  @Test
  void onlyRosterPodsReachTheMemberPort() {
    NetworkPolicy policy = manifests.only(NetworkPolicy.class);
    assertTrue(selects(policy.getSpec().getPodSelector(), podLabels), "the policy covers the pods");
    assertTrue(policy.getSpec().getPolicyTypes().contains("Ingress"));
    int member = config.cluster().port();
    boolean memberAdmitted = false;
    boolean apiFromAnywhere = false;
    for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
      boolean coversMember = covers(rule.getPorts(), member);
      if (coversMember) {
        memberAdmitted = true;
        assertFalse(rule.getFrom().isEmpty(), "a rule admits everyone to the member port");
        for (NetworkPolicyPeer peer : rule.getFrom()) {
          assertNull(peer.getIpBlock(), "no address block reaches the member port");
          assertNull(peer.getNamespaceSelector(), "no other namespace reaches the member port");
          assertNotNull(peer.getPodSelector(), "only pods reach the member port");
          // Only pods carrying the StatefulSet's labels: the peer selector must require them all.
          Map<String, String> required = peer.getPodSelector().getMatchLabels();
          assertTrue(
              required != null && required.entrySet().containsAll(selectorLabels().entrySet()),
              "the member port admits only pods labelled " + selectorLabels());
        }
      }
      if (covers(rule.getPorts(), config.api().port()) && rule.getFrom().isEmpty()) {
        apiFromAnywhere = true;
      }
    }
    assertTrue(memberAdmitted, "the nodes reach each other's member port");
    assertTrue(apiFromAnywhere, "clients reach the API port");
  }

  @Test
  void servicesFindMembersAndServeClients() {
    Service headless = service(true);
    assertEquals("None", headless.getSpec().getClusterIP());
    assertTrue(headless.getSpec().getPublishNotReadyAddresses(), "not-ready pods are members too");
    assertTrue(selects(headless.getSpec().getSelector(), podLabels));
    assertEquals(headless.getMetadata().getName(), statefulSet.getSpec().getServiceName());
    assertTrue(
        headless.getSpec().getPorts().stream()
            .anyMatch(
                p ->
                    p.getPort() == config.cluster().port()
                        && targetPort(p) == config.cluster().port()),
        "the headless Service names the member port");
    String dnsName = config.cluster().dnsName();
    String service = headless.getMetadata().getName();
    assertTrue(
        dnsName.equals(service) || dnsName.startsWith(service + "."),
        "cluster.dns-name " + dnsName + " is the headless Service " + service);

    Service clients = service(false);
    assertTrue(selects(clients.getSpec().getSelector(), podLabels));
    assertFalse(Boolean.TRUE.equals(clients.getSpec().getPublishNotReadyAddresses()));
    assertEquals(1, clients.getSpec().getPorts().size());
    assertEquals(config.api().port(), targetPort(clients.getSpec().getPorts().get(0)));
  }

  @Test
  void hazelcastFindsTheMembersByTheHeadlessServiceName() {
    assertTrue(config.cluster().discoversByDns());
    Config hazelcast = HazelcastConfigFactory.create(config);
    JoinConfig join =
        hazelcast.getAdvancedNetworkConfig().isEnabled()
            ? hazelcast.getAdvancedNetworkConfig().getJoin()
            : hazelcast.getNetworkConfig().getJoin();
    assertFalse(join.getTcpIpConfig().isEnabled(), "no static list");
    assertFalse(join.getMulticastConfig().isEnabled());
    KubernetesConfig kubernetes = join.getKubernetesConfig();
    assertTrue(kubernetes.isEnabled(), "Hazelcast's Kubernetes discovery");
    assertEquals(service(true).getMetadata().getName(), kubernetes.getProperty("service-dns"));
    assertEquals(String.valueOf(containerPort("member")), kubernetes.getProperty("service-port"));
    // DNS lookup mode: the API mode's keys would make it ask the Kubernetes API (no token here).
    assertNull(kubernetes.getProperty("service-name"));
    assertNull(kubernetes.getProperty("namespace"));
    assertFalse(pod.getAutomountServiceAccountToken(), "no API access needed, no token mounted");
  }

  @Test
  void imageUserAndFileSystemMatchTheImage() throws IOException {
    assertEquals(DeployFiles.image(), container.getImage());
    assertTrue(
        DeployFiles.read(DeployFiles.DOCS)
            .contains("docker build -t " + DeployFiles.image() + " ."),
        "docs/deploy.md builds the image the StatefulSet runs");
    String user = dockerfile.only("USER", dockerfile.lastStage()).arguments();
    var podSecurity = pod.getSecurityContext();
    assertTrue(podSecurity.getRunAsNonRoot());
    assertEquals(user, podSecurity.getRunAsUser() + ":" + podSecurity.getRunAsGroup());
    assertEquals(podSecurity.getRunAsGroup(), podSecurity.getFsGroup(), "Secrets readable by it");
    var security = container.getSecurityContext();
    assertTrue(security.getReadOnlyRootFilesystem());
    assertFalse(security.getAllowPrivilegeEscalation());
    assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
    VolumeMount tmp = mount("/tmp");
    assertNotNull(volume(tmp.getName()).getEmptyDir(), "/tmp is a writable emptyDir");
    // Services named roster* would otherwise inject ROSTER_PORT, ROSTER_SERVICE_HOST, ...
    assertFalse(pod.getEnableServiceLinks(), "no service links among the ROSTER_ variables");
  }

  @Test
  void heapIsWellUnderTheMemoryLimit() {
    Map<String, Quantity> limits = container.getResources().getLimits();
    Map<String, Quantity> requests = container.getResources().getRequests();
    long limit = limits.get("memory").getNumericalAmount().longValueExact();
    assertEquals(limits.get("memory"), requests.get("memory"), "memory requested as limited");
    assertNotNull(requests.get("cpu"));
    long heap = DeployFiles.heapBytes(podEnvironment().get("ROSTER_HEAP"));
    double share = (double) heap / limit;
    assertTrue(share >= 0.5 && share <= 0.75, "heap is " + share + " of the limit, not 50-75%");
  }

  @Test
  void secretsAreMountedAsTheDocsCreateThem() throws IOException {
    Map<String, Map<String, String>> documented = documentedSecrets();
    Map<String, String> mounted = new HashMap<>();
    for (Volume volume : pod.getVolumes()) {
      if (volume.getSecret() != null) {
        mounted.put(volume.getSecret().getSecretName(), volume.getName());
        assertEquals(0440, volume.getSecret().getDefaultMode(), "read-only, owner and group");
      }
    }
    assertEquals(documented.keySet(), mounted.keySet(), "the docs create every mounted Secret");
    for (String volume : mounted.values()) {
      VolumeMount mount =
          container.getVolumeMounts().stream()
              .filter(m -> m.getName().equals(volume))
              .findFirst()
              .orElseThrow(() -> new AssertionError("volume " + volume + " is not mounted"));
      assertNull(mount.getSubPath(), "whole directories: a subPath never sees a Secret's update");
      assertTrue(mount.getReadOnly());
    }
  }

  // ---- the pod's environment, as the kubelet would make it ----

  /**
   * The image's ENV, then the ConfigMap (envFrom), then env with the downward API and $(VAR)
   * expanded; every file under a mounted Secret replaced by the file the docs create it from.
   */
  private static Map<String, String> podEnvironment() {
    Map<String, String> env = new LinkedHashMap<>(dockerfile.environment());
    Map<String, String> defined = new LinkedHashMap<>();
    for (EnvFromSource from : container.getEnvFrom()) {
      String name = from.getConfigMapRef().getName();
      ConfigMap map =
          manifests.all(ConfigMap.class).stream()
              .filter(c -> c.getMetadata().getName().equals(name))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no ConfigMap " + name));
      defined.putAll(map.getData());
    }
    for (EnvVar variable : container.getEnv()) {
      String value;
      if (variable.getValueFrom() != null) {
        String field = variable.getValueFrom().getFieldRef().getFieldPath();
        value = POD_FIELDS.get(field);
        assertNotNull(value, "downward API field " + field);
      } else {
        value = expand(variable.getValue(), defined);
      }
      defined.put(variable.getName(), value);
    }
    env.putAll(defined);
    env.replaceAll((key, value) -> secretFile(value));
    return env;
  }

  private static String expand(String value, Map<String, String> defined) {
    Matcher reference = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(value);
    StringBuilder out = new StringBuilder();
    while (reference.find()) {
      String known = defined.get(reference.group(1));
      assertNotNull(known, "$(" + reference.group(1) + ") is defined before it is used");
      reference.appendReplacement(out, Matcher.quoteReplacement(known));
    }
    reference.appendTail(out);
    return out.toString();
  }

  private static Path secretFiles;

  /** A path inside a mounted Secret becomes the file the docs create that key from. */
  private static String secretFile(String value) {
    for (VolumeMount mount : container.getVolumeMounts()) {
      Volume volume = volume(mount.getName());
      if (volume.getSecret() == null || !value.startsWith(mount.getMountPath() + "/")) {
        continue;
      }
      String key = value.substring(mount.getMountPath().length() + 1);
      try {
        Map<String, String> keys = documentedSecrets().get(volume.getSecret().getSecretName());
        assertNotNull(keys, "the docs create Secret " + volume.getSecret().getSecretName());
        String file = keys.get(key);
        assertNotNull(
            file, "the docs put key " + key + " in " + volume.getSecret().getSecretName());
        return secrets().resolve(file).toString();
      } catch (IOException | InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    return value;
  }

  private static Path secrets() throws IOException, InterruptedException {
    if (secretFiles == null) {
      // The names the docs' certificate command gives (the client Service in any namespace).
      secretFiles =
          DeployFiles.makeSecrets(
              temp.resolve("secrets"),
              "DNS:roster",
              "DNS:roster.roster",
              "DNS:roster.roster.svc",
              "DNS:roster.roster.svc.cluster.local");
    }
    return secretFiles;
  }

  /**
   * The Secrets docs/deploy.md creates: name to (key to make-secrets' file name), from its {@code
   * kubectl create secret} lines.
   */
  private static Map<String, Map<String, String>> documentedSecrets() throws IOException {
    Map<String, Map<String, String>> secrets = new HashMap<>();
    Pattern create =
        Pattern.compile("kubectl (?:-n \\S+ )?create secret (tls|generic) ([a-z0-9-]+)(.*)");
    for (String line : DeployFiles.read(DeployFiles.DOCS).lines().toList()) {
      Matcher m = create.matcher(line.strip());
      if (!m.find()) {
        continue;
      }
      Map<String, String> keys = new HashMap<>();
      for (String option : m.group(3).strip().split("\\s+")) {
        String[] parts = option.split("=", 2);
        if (parts.length < 2) {
          continue;
        }
        String file = Path.of(parts[1].replaceAll("\"", "")).getFileName().toString();
        switch (parts[0]) {
          case "--cert" -> keys.put("tls.crt", file);
          case "--key" -> keys.put("tls.key", file);
          case "--from-file" -> {
            String[] keyed = parts[1].split("=", 2);
            keys.put(keyed.length == 2 ? keyed[0] : file, file);
          }
          default -> {}
        }
      }
      // The first command of each name creates it; later ones show updates.
      secrets.putIfAbsent(m.group(2), keys);
    }
    return secrets;
  }

  // ---- helpers ----

  private static Map<String, String> selectorLabels() {
    return statefulSet.getSpec().getSelector().getMatchLabels();
  }

  private static boolean selects(LabelSelector selector, Map<String, String> labels) {
    assertTrue(
        selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty(),
        "label selectors use matchLabels only");
    return selects(selector.getMatchLabels(), labels);
  }

  private static boolean selects(Map<String, String> matchLabels, Map<String, String> labels) {
    return matchLabels != null
        && !matchLabels.isEmpty()
        && labels.entrySet().containsAll(matchLabels.entrySet());
  }

  private static int containerPort(String name) {
    return container.getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port named " + name));
  }

  /** The container port a Service or NetworkPolicy port names, by number or by name. */
  private static int resolve(IntOrString port) {
    return port.getIntVal() != null ? port.getIntVal() : containerPort(port.getStrVal());
  }

  private static int targetPort(ServicePort port) {
    return port.getTargetPort() == null ? port.getPort() : resolve(port.getTargetPort());
  }

  /** Whether a rule's ports admit this container port (no ports: every port). */
  private static boolean covers(List<NetworkPolicyPort> ports, int port) {
    return ports == null
        || ports.isEmpty()
        || ports.stream().anyMatch(p -> p.getPort() == null || resolve(p.getPort()) == port);
  }

  private static Service service(boolean headless) {
    List<Service> found =
        manifests.all(Service.class).stream()
            .filter(s -> "None".equals(s.getSpec().getClusterIP()) == headless)
            .toList();
    assertEquals(1, found.size(), (headless ? "one headless" : "one client") + " Service");
    return found.get(0);
  }

  private static VolumeMount mount(String path) {
    return container.getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals(path))
        .findFirst()
        .orElseThrow(() -> new AssertionError("nothing mounted at " + path));
  }

  private static Volume volume(String name) {
    return pod.getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }
}
