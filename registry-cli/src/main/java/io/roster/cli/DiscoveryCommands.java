package io.roster.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.Instance;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** The subcommands of DiscoveryService: finding instances and following their changes. */
final class DiscoveryCommands {
  private DiscoveryCommands() {}

  /** Output of discover. */
  enum Format {
    json,
    table
  }

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

    @Option(
        names = "--format",
        defaultValue = "json",
        description = "json (default) or table (for people).")
    private Format format;

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
        if (format == Format.table) {
          printTable(response, cli.out());
        } else {
          cli.print(response);
        }
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

    private void printTable(DiscoverResponse response, PrintWriter out) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"ID", "ADDRESS", "WEIGHT", "ZONE", "STATUS", "HEALTH"});
      for (Instance instance : response.getInstancesList()) {
        rows.add(
            new String[] {
              instance.getInstanceId(),
              address(instance.getHost(), instance.getPort()),
              // Unset means the documented default, 100.
              String.valueOf(instance.hasWeight() ? instance.getWeight() : 100),
              instance.getZone().isEmpty() ? "-" : instance.getZone(),
              label(instance.getStatus().name(), "INSTANCE_STATUS_"),
              label(instance.getHealth().name(), "HEALTH_STATE_")
            });
      }
      int[] widths = new int[rows.get(0).length];
      for (String[] row : rows) {
        for (int i = 0; i < row.length; i++) {
          widths[i] = Math.max(widths[i], row[i].length());
        }
      }
      for (String[] row : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < row.length; i++) {
          line.append(
              i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
        }
        out.println(line);
      }
      if (response.getZoneFallback()) {
        out.println("(no healthy instance in zone " + preferredZone + ": all zones listed)");
      }
    }

    private static String address(String host, int port) {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** "INSTANCE_STATUS_OUT_OF_SERVICE" -> "out-of-service", as the CLI spells it. */
    private static String label(String enumName, String prefix) {
      String name = enumName.startsWith(prefix) ? enumName.substring(prefix.length()) : enumName;
      return name.toLowerCase(Locale.ROOT).replace('_', '-');
    }
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
      ListServicesResponse.Builder all = ListServicesResponse.newBuilder();
      try (Targets targets = cli.connect()) {
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
      }
      cli.print(all);
      return 0;
    }
  }

  /**
   * Follows services until stopped, printing each WatchResponse as a line of JSON. When a node
   * breaks the stream (UNAVAILABLE: it is leaving), resumes on the next target from the last
   * revision seen of each service. Gives up when every target in turn failed without answering.
   *
   * <p>Threading: runs on the command's thread; stream callbacks arrive through {@link
   * StreamEvents}.
   */
  @Command(
      name = "watch",
      description = "Prints a snapshot and then every change of services, a JSON line each.")
  static final class Watch implements Callable<Integer> {
    @ParentCommand private RosterCli cli;

    @Option(
        names = "--service",
        required = true,
        split = ",",
        description = "Services to follow; repeatable.")
    private List<String> services;

    @Option(names = "--namespace", defaultValue = "", description = "Namespace (default: default).")
    private String namespace;

    @Override
    public Integer call() throws InterruptedException {
      Map<String, Long> revisions = new LinkedHashMap<>();
      services.forEach(service -> revisions.put(service, 0L));
      StreamEvents<WatchResponse> events = new StreamEvents<>(cli.stopSignal());
      List<String> failures = new ArrayList<>(); // attempts that got no answer, in a row
      int streamNumber = 0;
      boolean streaming = false;
      boolean answered = false; // whether the current stream delivered a message
      long reconnectAtNanos = System.nanoTime();
      try (Targets targets = cli.connect()) {
        while (true) {
          if (!streaming && System.nanoTime() - reconnectAtNanos >= 0) {
            streamNumber++;
            DiscoveryServiceGrpc.newStub(targets.channel())
                .watch(request(revisions), events.observer(streamNumber));
            streaming = true;
            answered = false;
          }
          long waitNanos = streaming ? Long.MAX_VALUE : reconnectAtNanos - System.nanoTime();
          StreamEvents.Event<WatchResponse> event = events.next(waitNanos);
          if (event instanceof StreamEvents.Stopped<WatchResponse>) {
            return 0; // closing the targets cancels the stream
          } else if (event instanceof StreamEvents.Message<WatchResponse> message
              && message.stream() == streamNumber) {
            answered = true;
            failures.clear();
            revisions.put(message.value().getService(), message.value().getRevision());
            cli.print(message.value());
          } else if (event instanceof StreamEvents.Ended<WatchResponse> ended
              && ended.stream() == streamNumber) {
            Status status = ended.status();
            if (status.isOk()) {
              return 0; // the node ended the watch
            }
            if (status.getCode() != Status.Code.UNAVAILABLE) {
              return cli.fail(targets.explained(status));
            }
            long backoffMillis = 0; // a target that never answered: try the next one at once
            if (answered) {
              backoffMillis = Targets.backoffMillis(1); // a working stream broke: pause, resume
            } else {
              failures.add(targets.address() + " (" + targets.explain(status) + ")");
              if (failures.size() >= targets.size()) {
                return cli.fail(Targets.noTargetAnswered(failures).getStatus());
              }
            }
            cli.err()
                .printf(
                    "roster: watch stream to %s ended (%s); trying the next target%n",
                    targets.address(), targets.explain(status));
            targets.advance();
            streaming = false;
            reconnectAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
          }
        }
      }
    }

    private WatchRequest request(Map<String, Long> revisions) {
      WatchRequest.Builder request = WatchRequest.newBuilder().setNamespace(namespace);
      revisions.forEach(
          (service, revision) ->
              request.addTargets(
                  WatchTarget.newBuilder().setService(service).setFromRevision(revision)));
      return request.build();
    }
  }
}
