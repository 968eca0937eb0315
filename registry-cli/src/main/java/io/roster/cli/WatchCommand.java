package io.roster.cli;

import io.grpc.Status;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.WatchResponse;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Follows services until stopped, printing one line per change of an instance. When a node breaks
 * the stream (UNAVAILABLE: it is leaving, or gone), resumes on the next target from the last
 * revision held of each service, so that nothing is missed or printed twice. Gives up when every
 * target in turn failed without answering.
 *
 * <p>Threading: runs on the command's thread; stream callbacks arrive through {@link StreamEvents}.
 */
@Command(
    name = "watch",
    description = {
      "Prints the instances of services and then every change, one line each, until SIGINT or"
          + " SIGTERM. Moves to the next --target, from the last revision seen, when a node goes"
          + " away.",
      "%njson: an InstanceChange per line (type CHANGE_TYPE_ADDED, _UPDATED, _STATUS_CHANGED,"
          + " _HEALTH_CHANGED or _REMOVED; the instance after the change, or as last seen when"
          + " removed; the service's revision). The instances there at the start come as ADDED.",
      "%ntable: TIME (when the line was printed), REVISION, SERVICE, CHANGE, ID, ADDRESS, STATUS,"
          + " HEALTH, ZONE, WEIGHT."
    })
final class WatchCommand implements Callable<Integer> {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  /** Least widths of the table's columns (a line is printed before the next is known). */
  private static final int[] WIDTHS = {12, 8, 16, 14, 22, 21, 14, 9, 8, 6};

  @ParentCommand private RosterCli cli;

  @Spec private CommandSpec spec;

  @Option(
      names = "--service",
      required = true,
      split = ",",
      description = "Services to follow; repeatable.")
  private List<String> services;

  @Option(names = "--namespace", defaultValue = "", description = "Namespace (default: default).")
  private String namespace;

  @Option(
      names = "--raw",
      description =
          "Print each WatchResponse as the node sent it (snapshots, changes), one JSON line each,"
              + " instead of a line per change.")
  private boolean raw;

  @Override
  public Integer call() throws InterruptedException {
    boolean table = cli.output(OutputFormat.json) == OutputFormat.table;
    if (raw && table) {
      throw new ParameterException(spec.commandLine(), "--raw prints JSON: leave out --output");
    }
    WatchedServices watched = new WatchedServices(namespace, services);
    StreamEvents<WatchResponse> events = new StreamEvents<>(cli.stopSignal());
    List<String> failures = new ArrayList<>(); // attempts that got no answer, in a row
    int streamNumber = 0;
    boolean streaming = false;
    boolean answered = false; // whether the current stream delivered a message
    long reconnectAtNanos = System.nanoTime();
    if (table) {
      printRow(
          "TIME",
          "REVISION",
          "SERVICE",
          "CHANGE",
          "ID",
          "ADDRESS",
          "STATUS",
          "HEALTH",
          "ZONE",
          "WEIGHT");
    }
    try (Targets targets = cli.connect()) {
      while (true) {
        if (!streaming && System.nanoTime() - reconnectAtNanos >= 0) {
          streamNumber++;
          DiscoveryServiceGrpc.newStub(targets.channel())
              .watch(watched.request(), events.observer(streamNumber));
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
          targets.answered();
          failures.clear();
          List<InstanceChange> changes = watched.apply(message.value());
          if (raw) {
            cli.print(message.value());
          } else {
            changes.forEach(change -> print(change, table));
          }
        } else if (event instanceof StreamEvents.Ended<WatchResponse> ended
            && ended.stream() == streamNumber) {
          watched.streamEnded();
          Status status = ended.status();
          if (status.isOk()) {
            return 0; // the node ended the watch
          }
          if (status.getCode() != Status.Code.UNAVAILABLE) {
            return cli.fail(targets.explained(status));
          }
          String from = targets.address();
          String why = targets.explain(status);
          long backoffMillis = 0; // a target that never answered: try the next one at once
          if (answered) {
            backoffMillis = Targets.backoffMillis(1); // a working stream broke: pause, resume
          } else {
            failures.add(from + " (" + why + ")");
            if (failures.size() >= targets.size()) {
              return cli.fail(Targets.noTargetAnswered(failures).getStatus());
            }
          }
          targets.advance();
          cli.err()
              .printf(
                  "roster: watch stream to %s ended (%s); resuming on %s%n",
                  from, why, targets.address());
          streaming = false;
          reconnectAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis);
        }
      }
    }
  }

  private void print(InstanceChange change, boolean table) {
    if (!table) {
      cli.out().println(JsonObject.protoJson(change));
      return;
    }
    Instance instance = change.getInstance();
    printRow(
        LocalTime.now().format(TIME),
        String.valueOf(change.getRevision()),
        instance.getService(),
        Table.label(change.getType().name()),
        instance.getInstanceId(),
        DiscoveryCommands.address(instance),
        Table.label(instance.getStatus().name()),
        Table.label(instance.getHealth().name()),
        instance.getZone().isEmpty() ? "-" : instance.getZone(),
        String.valueOf(instance.hasWeight() ? instance.getWeight() : 100));
  }

  private void printRow(String... cells) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      line.append(i == cells.length - 1 ? cells[i] : Table.pad(cells[i], WIDTHS[i]) + "  ");
    }
    cli.out().println(line);
  }
}
