package io.roster.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A refreshing view of a namespace's services and the cluster, for people ({@code --output table},
 * the default, redrawn in place on a terminal) or scripts ({@code --once}, {@code --output json}).
 *
 * <p>Threading: runs on the command's thread; a stop request (SIGINT/SIGTERM) only cuts the wait
 * between refreshes short.
 */
@Command(
    name = "top",
    description = {
      "Shows the services of a namespace and the state of the cluster, refreshed every"
          + " --interval-s until SIGINT or SIGTERM; redrawn in place when stdout is a terminal,"
          + " printed one after the other otherwise.",
      "%nFirst lines: the answering node's ClusterStatus (nodes reachable, quorum, leader, eviction"
          + " protection, the registry's counts), then the namespace's rates since the refresh"
          + " before. The API has no request rates: changes/s is the growth of the services'"
          + " revisions (each registration, deregistration, eviction, status or health change"
          + " counts one), registered and removed compare the instance ids and epochs of two"
          + " refreshes (an instance that came and went between them is not seen).",
      "%nColumns: SERVICE; INSTANCES registered; HEALTHY (healthy and up or draining: what"
          + " discover returns); DRAINING (healthy and draining, counted in HEALTHY too);"
          + " UNHEALTHY (lease ran out, not evicted yet); OUT (healthy, out-of-service); REVISION;"
          + " CHANGES/S (revision growth per second since the refresh before).",
      "%njson: one object per refresh: time, namespace, incarnation, elapsedS, changesPerS,"
          + " registered, removed (null on the first refresh), cluster (ClusterStatusResponse),"
          + " services [service, instances, healthy, draining, unhealthy, outOfService,"
          + " revision, changesPerS]."
    })
final class TopCommand implements Callable<Integer> {
  private static final String ALTERNATE_SCREEN = "\033[?1049h\033[?25l"; // and hide the cursor
  private static final String MAIN_SCREEN = "\033[?25h\033[?1049l";
  private static final String HOME = "\033[H";
  private static final String CLEAR_TO_END_OF_LINE = "\033[K";
  private static final String CLEAR_TO_END_OF_SCREEN = "\033[J";

  /** Failures a later refresh may not meet: shown, and the refreshes go on. */
  private static final Set<Status.Code> PASSING =
      EnumSet.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.ABORTED);

  @ParentCommand private RosterCli cli;

  @Spec private CommandSpec spec;

  @Option(names = "--namespace", defaultValue = "", description = "Namespace (default: default).")
  private String namespace;

  @Option(
      names = "--interval-s",
      defaultValue = "2",
      paramLabel = "seconds",
      description = "Time between refreshes, 0.1-3600 s (default: ${DEFAULT-VALUE}).")
  private double intervalSeconds;

  @Option(
      names = "--once",
      description = "Print one refresh and exit (rates need two: they are left out).")
  private boolean once;

  @Override
  public Integer call() throws InterruptedException {
    if (!(intervalSeconds >= 0.1 && intervalSeconds <= 3600)) {
      throw new ParameterException(
          spec.commandLine(), "--interval-s must be between 0.1 and 3600, not " + intervalSeconds);
    }
    boolean table = cli.output(OutputFormat.table) == OutputFormat.table;
    boolean redraw = table && !once && cli.terminal();
    CountDownLatch stopped = new CountDownLatch(1);
    if (!once) {
      cli.stopSignal().onStop(stopped::countDown);
    }
    PrintWriter out = cli.out();
    try (Targets targets = cli.connect()) {
      NamespaceSampler sampler = new NamespaceSampler(targets, namespace);
      if (redraw) {
        out.print(ALTERNATE_SCREEN);
      }
      try {
        NamespaceSample previous = null;
        while (true) {
          try {
            NamespaceSample sample = sampler.sample();
            if (!table) {
              out.println(sample.json(previous));
            } else if (redraw) {
              draw(out, sample.lines(previous));
            } else {
              if (previous != null) {
                out.println(); // between two refreshes
              }
              sample.lines(previous).forEach(out::println);
            }
            previous = sample;
          } catch (StatusRuntimeException e) {
            if (once || !PASSING.contains(e.getStatus().getCode())) {
              throw e;
            }
            String problem =
                "refresh failed, trying again in "
                    + intervalSeconds
                    + " s: "
                    + e.getStatus().getCode()
                    + ": "
                    + Targets.describe(e.getStatus());
            if (redraw) {
              draw(out, List.of(problem));
            } else {
              cli.err().println("roster: top: " + problem);
            }
          }
          out.flush();
          if (once || stopped.await((long) (intervalSeconds * 1000), TimeUnit.MILLISECONDS)) {
            return 0;
          }
        }
      } finally {
        if (redraw) {
          out.print(MAIN_SCREEN);
          out.flush();
        }
      }
    }
  }

  /** Overwrites the screen from its top left corner, clearing what the last refresh left. */
  private static void draw(PrintWriter out, List<String> lines) {
    StringBuilder screen = new StringBuilder(HOME);
    for (String line : lines) {
      screen.append(line).append(CLEAR_TO_END_OF_LINE).append('\n');
    }
    out.print(screen.append(CLEAR_TO_END_OF_SCREEN));
  }
}
