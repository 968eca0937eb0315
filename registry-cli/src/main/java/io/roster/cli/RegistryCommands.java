package io.roster.cli;

import com.google.protobuf.util.Durations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.SetStatusResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.TypeConversionException;

/** The subcommands of RegistryService: what an instance (or an operator) calls to be listed. */
final class RegistryCommands {
  private RegistryCommands() {}

  @Command(
      name = "register",
      description = {
        "Registers an instance and prints its lease (RegisterResponse).",
        "With --keepalive, renews the lease until SIGINT/SIGTERM, then deregisters."
      })
  static final class Register implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Option(names = "--service", required = true, description = "Service name.")
    private String service;

    @Option(names = "--namespace", defaultValue = "", description = "Namespace (default: default).")
    private String namespace;

    @Option(names = "--id", defaultValue = "", description = "Instance id (default: host:port).")
    private String instanceId;

    @Option(names = "--host", required = true, description = "Host or IP callers connect to.")
    private String host;

    @Option(names = "--port", required = true, description = "Main port callers connect to.")
    private int port;

    @Option(names = "--weight", description = "Share of traffic, 0-10000 (default: 100).")
    private Integer weight;

    @Option(names = "--zone", defaultValue = "", description = "Failure domain.")
    private String zone;

    @Option(names = "--version", defaultValue = "", description = "Software version.")
    private String version;

    @Option(names = "--meta", paramLabel = "key=value", description = "Metadata; repeatable.")
    private Map<String, String> metadata = new LinkedHashMap<>();

    @Option(
        names = "--named-port",
        paramLabel = "name=port",
        description = "A further port, e.g. metrics=9090; repeatable.")
    private Map<String, Integer> namedPorts = new LinkedHashMap<>();

    @Option(names = "--ttl-ms", description = "Lease time-to-live asked for (default: node's).")
    private Long leaseTtlMillis;

    @Option(names = "--keepalive", description = "Keep the lease alive until interrupted.")
    private boolean keepAlive;

    @Override
    public Integer call() throws InterruptedException {
      Instance.Builder instance =
          Instance.newBuilder()
              .setNamespace(namespace)
              .setService(service)
              .setInstanceId(instanceId)
              .setHost(host)
              .setPort(port)
              .setZone(zone)
              .setVersion(version)
              .putAllMetadata(metadata);
      namedPorts.forEach(instance::putPorts);
      if (weight != null) {
        instance.setWeight(weight);
      }
      RegisterRequest.Builder request = RegisterRequest.newBuilder().setInstance(instance);
      if (leaseTtlMillis != null) {
        request.setLeaseTtl(Durations.fromMillis(leaseTtlMillis));
      }
      try (Targets targets = cli.connect()) {
        RegisterResponse lease =
            targets.call(RegistryServiceGrpc::newBlockingStub, s -> s.register(request.build()));
        cli.print(lease);
        if (!keepAlive) {
          return 0;
        }
        return new KeepAliveSession(cli, targets, request.build()).run(lease);
      }
    }
  }

  @Command(name = "heartbeat", description = "Renews a lease once (HeartbeatResponse).")
  static final class Heartbeat implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Option(names = "--lease", required = true, description = "Lease id from register.")
    private String leaseId;

    @Option(names = "--epoch", defaultValue = "0", description = "Epoch from register; 0: any.")
    private long epoch;

    @Override
    public Integer call() {
      HeartbeatRequest request =
          HeartbeatRequest.newBuilder().setLeaseId(leaseId).setEpoch(epoch).build();
      try (Targets targets = cli.connect()) {
        cli.print(targets.call(RegistryServiceGrpc::newBlockingStub, s -> s.heartbeat(request)));
        return 0;
      }
    }
  }

  @Command(name = "deregister", description = "Removes an instance at once (DeregisterResponse).")
  static final class Deregister implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Mixin private TargetInstance target;

    @Override
    public Integer call() {
      DeregisterRequest request =
          DeregisterRequest.newBuilder()
              .setKey(target.key())
              .setEpoch(target.epoch)
              .setLeaseId(target.leaseId)
              .build();
      try (Targets targets = cli.connect()) {
        cli.print(targets.call(RegistryServiceGrpc::newBlockingStub, s -> s.deregister(request)));
        return 0;
      }
    }
  }

  @Command(
      name = "set-status",
      description = "Sets whether an instance takes work (SetStatusResponse).")
  static final class SetStatus implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Mixin private TargetInstance target;

    @Option(
        names = "--status",
        required = true,
        paramLabel = "up|draining|out-of-service",
        converter = StatusConverter.class,
        description = "The new status.")
    private InstanceStatus status;

    @Override
    public Integer call() {
      SetStatusRequest request =
          SetStatusRequest.newBuilder()
              .setKey(target.key())
              .setStatus(status)
              .setEpoch(target.epoch)
              .setLeaseId(target.leaseId)
              .build();
      try (Targets targets = cli.connect()) {
        cli.print(targets.call(RegistryServiceGrpc::newBlockingStub, s -> s.setStatus(request)));
        return 0;
      }
    }
  }

  @Command(
      name = "drain",
      description = {
        "Sets an instance DRAINING: still listed as healthy, but marked, so callers send it no new"
            + " work while it finishes what it has. Prints what changed: the status before (as the"
            + " answering node listed it) and after, and the service's revision."
      })
  static final class Drain implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Mixin private TargetInstance target;

    @Override
    public Integer call() {
      return changeStatus(cli, target, InstanceStatus.INSTANCE_STATUS_DRAINING);
    }
  }

  @Command(
      name = "undrain",
      description = {
        "Sets an instance UP again (from draining or out-of-service): it takes new work. Prints"
            + " what changed, as drain does."
      })
  static final class Undrain implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Mixin private TargetInstance target;

    @Override
    public Integer call() {
      return changeStatus(cli, target, InstanceStatus.INSTANCE_STATUS_UP);
    }
  }

  /**
   * Sets the status of {@code target} and prints what changed: JSON {@code {"namespace", "service",
   * "instanceId", "previousStatus" (null when the node did not list the instance), "status",
   * "changed", "revision"}}, or a table row.
   */
  private static int changeStatus(RosterCli cli, TargetInstance target, InstanceStatus status) {
    SetStatusRequest request =
        SetStatusRequest.newBuilder()
            .setKey(target.key())
            .setStatus(status)
            .setEpoch(target.epoch)
            .setLeaseId(target.leaseId)
            .build();
    try (Targets targets = cli.connect()) {
      InstanceStatus before = listedStatus(targets, target);
      SetStatusResponse answer =
          targets.call(RegistryServiceGrpc::newBlockingStub, s -> s.setStatus(request));
      boolean changed = before != status;
      String after = Table.label(status.name());
      cli.print(
          new JsonObject()
              .put("namespace", target.namespace.isEmpty() ? "default" : target.namespace)
              .put("service", target.service)
              .put("instanceId", target.instanceId)
              .put("previousStatus", before == null ? null : before.name())
              .put("status", status.name())
              .put("changed", changed)
              .put("revision", answer.getRevision()),
          new Table("SERVICE", "ID", "STATUS", "REVISION")
              .row(
                  target.service,
                  target.instanceId,
                  before == null
                      ? "? -> " + after
                      : changed
                          ? Table.label(before.name()) + " -> " + after
                          : after + " (unchanged)",
                  answer.getRevision()));
      return 0;
    }
  }

  /**
   * The status the answering node lists the instance with, or null when it does not list it (not
   * registered, or not yet seen by that node) or the caller may not read the namespace.
   */
  private static InstanceStatus listedStatus(Targets targets, TargetInstance target) {
    DiscoverRequest request =
        DiscoverRequest.newBuilder()
            .setNamespace(target.namespace)
            .setService(target.service)
            .setIncludeUnhealthy(true)
            .build();
    try {
      return DiscoveryCommands.Discover.allPages(targets, request).getInstancesList().stream()
          .filter(instance -> instance.getInstanceId().equals(target.instanceId))
          .map(Instance::getStatus)
          .findFirst()
          .orElse(null);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
        return null; // may change the status without reading the namespace: SetStatus decides
      }
      throw e;
    }
  }

  /**
   * The instance a deregister, set-status, drain or undrain acts on, and the epoch it must still be
   * at.
   */
  static final class TargetInstance {
    @Option(names = "--service", required = true, description = "Service name.")
    String service;

    @Option(names = "--id", required = true, description = "Instance id.")
    String instanceId;

    @Option(names = "--namespace", defaultValue = "", description = "Namespace (default: default).")
    String namespace;

    @Option(names = "--epoch", defaultValue = "0", description = "Only this epoch; 0: any.")
    long epoch;

    @Option(
        names = "--lease-id",
        defaultValue = "",
        description =
            "The lease id register printed: proves the registration is yours (required by a node"
                + " that checks access, unless you are an admin of the namespace).")
    String leaseId;

    InstanceKey key() {
      return RegistryCommands.key(namespace, service, instanceId);
    }
  }

  static InstanceKey key(String namespace, String service, String instanceId) {
    return InstanceKey.newBuilder()
        .setNamespace(namespace)
        .setService(service)
        .setInstanceId(instanceId)
        .build();
  }

  /** Reads {@code up}, {@code draining} or {@code out-of-service}. */
  static final class StatusConverter implements ITypeConverter<InstanceStatus> {
    private static final Map<String, InstanceStatus> BY_NAME =
        Map.of(
            "up", InstanceStatus.INSTANCE_STATUS_UP,
            "draining", InstanceStatus.INSTANCE_STATUS_DRAINING,
            "out-of-service", InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE);

    @Override
    public InstanceStatus convert(String value) {
      InstanceStatus status = BY_NAME.get(value);
      if (status == null) {
        throw new TypeConversionException(
            "'" + value + "' is not one of up, draining, out-of-service");
      }
      return status;
    }
  }
}
