package io.roster.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.Instance;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.ServiceSummary;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** The subcommands of DiscoveryService that answer once: instances of a service, services. */
final class DiscoveryCommands {
  private DiscoveryCommands() {}

  @Command(name = "discover", description = "Lists the instances of a service (DiscoverResponse).")
  static final class Discover implements Callable<Integer> {
    /** Instances per page: about 150 KB of ordinary instances. */
    static final int PAGE_SIZE = 1000;

    /** Listings started before giving up on a service that changes faster than it is read. */
    static final int MAX_LISTINGS = 3;

    @ParentCommand private RosterCli cli;

    @Option(names = "--service", required = true, description = "Service name.")
    private String service;

    @Option(names = "--namespace", defaultValue = "", description = "Namespace (default: default).")
    private String namespace;

    @Option(names = "--zone", defaultValue = "", description = "Preferred zone.")
    private String preferredZone;

    @Option(
        names = "--selector",
        paramLabel = "key=value",
        description = "Only instances with this metadata; repeatable.")
    private Map<String, String> selector = new LinkedHashMap<>();

    @Option(names = "--include-unhealthy", description = "Also unhealthy and out-of-service ones.")
    private boolean includeUnhealthy;

    @Option(names = "--version", defaultValue = "", description = "Only this software version.")
    private String version;

    @Override
    public Integer call() {
      DiscoverRequest request =
          DiscoverRequest.newBuilder()
              .setNamespace(namespace)
              .setService(service)
              .setPreferredZone(preferredZone)
              .putAllMetadataSelector(selector)
              .setIncludeUnhealthy(includeUnhealthy)
              .setVersion(version)
              .build();
      try (Targets targets = cli.connect()) {
        DiscoverResponse response = allPages(targets, request);
        Table table = table(response);
        if (response.getZoneFallback()) {
          table.note("(no healthy instance in zone " + preferredZone + ": all zones listed)");
        }
        cli.print(response, table);
        return 0;
      }
    }

    /**
     * Every page of the answer, joined into one: a service of any size, in messages that stay far
     * below gRPC's 4 MiB default. The pages come from one revision; when the service moves on while
     * they are read on a node that does not hold that revision (ABORTED), the listing starts over,
     * a few times at most.
     */
    static DiscoverResponse allPages(Targets targets, DiscoverRequest request) {
      for (int attempt = 1; ; attempt++) {
        try {
          DiscoverResponse.Builder all = null;
          String token = "";
          do {
            DiscoverRequest page =
                request.toBuilder().setPageSize(PAGE_SIZE).setPageToken(token).build();
            DiscoverResponse answer =
                targets.call(DiscoveryServiceGrpc::newBlockingStub, s -> s.discover(page));
            if (all == null) {
              all = answer.toBuilder();
            } else {
              all.addAllInstances(answer.getInstancesList());
            }
            token = answer.getNextPageToken();
          } while (!token.isEmpty());
          return all.clearNextPageToken().build();
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.ABORTED || attempt == MAX_LISTINGS) {
            throw e;
          }
        }
      }
    }

    private static Table table(DiscoverResponse response) {
      Table table = new Table("ID", "ADDRESS", "WEIGHT", "ZONE", "STATUS", "HEALTH");
      for (Instance instance : response.getInstancesList()) {
        table.row(
            instance.getInstanceId(),
            address(instance),
            // Unset means the documented default, 100.
            instance.hasWeight() ? instance.getWeight() : 100,
            instance.getZone(),
            Table.label(instance.getStatus().name()),
            Table.label(instance.getHealth().name()));
      }
      return table;
    }
  }

  /** host:port, an IPv6 host in brackets. */
  static String address(Instance instance) {
    String host = instance.getHost();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + instance.getPort();
  }

  @Command(
      name = "services",
      description = "Lists the services of a namespace, every page (ListServicesResponse).")
  static final class Services implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Option(names = "--namespace", defaultValue = "", description = "Namespace (default: default).")
    private String namespace;

    @Override
    public Integer call() {
      ListServicesResponse all;
      try (Targets targets = cli.connect()) {
        all = allServices(targets, namespace);
      }
      Table table = new Table("SERVICE", "INSTANCES", "HEALTHY", "REVISION");
      for (ServiceSummary summary : all.getServicesList()) {
        table.row(
            summary.getService(),
            summary.getInstanceCount(),
            summary.getHealthyCount(),
            summary.getRevision());
      }
      cli.print(all, table);
      return 0;
    }

    /** Every page of ListServices, joined into one answer. */
    static ListServicesResponse allServices(Targets targets, String namespace) {
      ListServicesResponse.Builder all = ListServicesResponse.newBuilder();
      String pageToken = "";
      do {
        ListServicesRequest request =
            ListServicesRequest.newBuilder()
                .setNamespace(namespace)
                .setPageToken(pageToken)
                .build();
        ListServicesResponse page =
            targets.call(DiscoveryServiceGrpc::newBlockingStub, s -> s.listServices(request));
        all.addAllServices(page.getServicesList()).setIncarnation(page.getIncarnation());
        if (page.getNextPageToken().equals(pageToken)) {
          break; // a node repeating its token would otherwise loop forever
        }
        pageToken = page.getNextPageToken();
      } while (!pageToken.isEmpty());
      return all.build();
    }
  }
}
