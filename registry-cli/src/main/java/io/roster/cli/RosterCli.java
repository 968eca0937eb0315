package io.roster.cli;

import com.google.protobuf.MessageOrBuilder;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.roster.client.internal.BearerToken;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code roster}: registers instances and queries a Roster registry from a shell.
 *
 * <p>Every answer is printed to stdout as {@code --output} asks: by default as one line of protobuf
 * canonical JSON (field names in lowerCamelCase, 64-bit integers as strings, fields at their
 * default value included), or as a {@link Table} for people. An error is printed to stderr as
 * {@code error: <GRPC_STATUS>: <description>}, and the exit code says what kind it was: see {@link
 * #exitCodeOf}.
 *
 * <p>Threading: a command runs on the thread that calls {@link #run}; only {@link StopSignal}
 * crosses threads.
 */
@Command(
    name = "roster",
    description = "Registers instances in a Roster registry and finds them.",
    subcommands = {
      RegistryCommands.Register.class,
      RegistryCommands.Heartbeat.class,
      RegistryCommands.Deregister.class,
      RegistryCommands.SetStatus.class,
      RegistryCommands.Drain.class,
      RegistryCommands.Undrain.class,
      DiscoveryCommands.Discover.class,
      DiscoveryCommands.Services.class,
      WatchCommand.class,
      TopCommand.class,
      ClusterCommands.Status.class,
      CompletionCommand.class
    })
public final class RosterCli {
  /** Exit code of a command-line mistake (EX_USAGE of sysexits.h). */
  static final int EXIT_USAGE = 64;

  /** How long SIGINT/SIGTERM waits for a long-running command to clean up (a Deregister). */
  private static final long SHUTDOWN_GRACE_MILLIS = 10_000;

  @Spec private CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--target",
      scope = ScopeType.INHERIT,
      split = ",",
      paramLabel = "host:port",
      converter = Targets.AddressConverter.class,
      defaultValue = "${env:ROSTER_TARGET:-127.0.0.1:7101}",
      description = {
        "Registry nodes, tried in order until one answers (default: $ROSTER_TARGET or"
            + " 127.0.0.1:7101). Plaintext unless --tls or --ca-file."
      })
  private List<String> targets;

  @Option(
      names = "--tls",
      scope = ScopeType.INHERIT,
      defaultValue = "${env:ROSTER_TLS:-false}",
      fallbackValue = "true",
      arity = "0..1",
      paramLabel = "true|false",
      description =
          "Speak TLS to the nodes, trusting the JVM's certificate authorities unless --ca-file"
              + " (default: $ROSTER_TLS or false). --ca-file and --cert-file turn it on.")
  private boolean tls;

  @Option(
      names = "--ca-file",
      scope = ScopeType.INHERIT,
      paramLabel = "file",
      defaultValue = "${env:ROSTER_CA_FILE}",
      description =
          "PEM file of the CA certificates that signed the nodes' certificates (default:"
              + " $ROSTER_CA_FILE). Turns TLS on.")
  private Path caFile;

  @Option(
      names = "--cert-file",
      scope = ScopeType.INHERIT,
      paramLabel = "file",
      defaultValue = "${env:ROSTER_CERT_FILE}",
      description =
          "PEM file of the client certificate, for nodes that require one (default:"
              + " $ROSTER_CERT_FILE). Needs --key-file; turns TLS on.")
  private Path certFile;

  @Option(
      names = "--key-file",
      scope = ScopeType.INHERIT,
      paramLabel = "file",
      defaultValue = "${env:ROSTER_KEY_FILE}",
      description =
          "PEM file (unencrypted PKCS#8, BEGIN PRIVATE KEY) of the client certificate's private"
              + " key (default: $ROSTER_KEY_FILE).")
  private Path keyFile;

  // Not defaulted from the environment by picocli: a flag must win over either variable, and
  // both variables set is a mistake to report (see bearerToken()).
  @Option(
      names = "--token",
      scope = ScopeType.INHERIT,
      paramLabel = "token",
      description =
          "Bearer token, sent as 'authorization: Bearer <token>' on every call, for nodes that"
              + " check callers (default: $ROSTER_TOKEN). A command line shows in process"
              + " listings: prefer --token-file or $ROSTER_TOKEN.")
  private String token;

  @Option(
      names = "--token-file",
      scope = ScopeType.INHERIT,
      paramLabel = "file",
      description =
          "File holding the bearer token (default: $ROSTER_TOKEN_FILE); read again when it"
              + " changes.")
  private Path tokenFile;

  @Option(
      names = "--timeout-ms",
      scope = ScopeType.INHERIT,
      defaultValue = "5000",
      paramLabel = "ms",
      description = "Deadline of each call, in milliseconds (default: ${DEFAULT-VALUE}).")
  private long timeoutMillis;

  // Inherited, so that `roster discover --format table` (how it was spelled before every command
  // had it) and `roster --output table discover` both work. No default: top's is table.
  @Option(
      names = {"--output", "--format"},
      scope = ScopeType.INHERIT,
      paramLabel = "table|json",
      description =
          "How answers are printed: json, one line of JSON per answer (canonical protobuf JSON;"
              + " the default, top's excepted), or table, aligned columns for people (top's"
              + " default). --format is the same option.")
  private OutputFormat output;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      scope = ScopeType.INHERIT,
      description = "Show this help.")
  private boolean helpRequested;

  private final PrintWriter out;
  private final PrintWriter err;
  private final StopSignal stopSignal;
  private final boolean terminal;

  private RosterCli(PrintWriter out, PrintWriter err, StopSignal stopSignal, boolean terminal) {
    this.out = out;
    this.err = err;
    this.stopSignal = stopSignal;
    this.terminal = terminal;
  }

  /** Runs the command and exits with its code; SIGINT/SIGTERM stop a long-running command. */
  public static void main(String[] args) {
    StopSignal stop = new StopSignal();
    CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> onShutdown(stop, exitCode), "roster-shutdown"));
    // Java 17: a console exists when stdin and stdout are both a terminal, not redirected.
    int code = run(args, System.out, System.err, stop, System.console() != null);
    exitCode.complete(code);
    System.exit(code);
  }

  /**
   * On SIGINT/SIGTERM, lets a long-running command finish (register --keepalive deregisters) and
   * exits with its code. Without this the JVM would exit at once with 130 or 143, and System.exit
   * cannot be called from a shutdown hook: halt is the only way to choose the status here.
   */
  private static void onShutdown(StopSignal stop, CompletableFuture<Integer> exitCode) {
    if (exitCode.isDone() || !stop.stop()) {
      return; // a normal exit, or a one-shot call that nothing would wait for
    }
    try {
      Runtime.getRuntime().halt(exitCode.get(SHUTDOWN_GRACE_MILLIS, TimeUnit.MILLISECONDS));
    } catch (TimeoutException | ExecutionException e) {
      return; // the JVM exits with the signal's status
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs one command line.
   *
   * @return the exit code: 0 on success, 64 for a command-line mistake, else per {@link
   *     #exitCodeOf}
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, new StopSignal());
  }

  static int run(String[] args, PrintStream out, PrintStream err, StopSignal stop) {
    return run(args, out, err, stop, false);
  }

  /**
   * Runs one command line; {@code terminal} says whether stdout is a terminal, where {@code top}
   * redraws in place.
   */
  static int run(
      String[] args, PrintStream out, PrintStream err, StopSignal stop, boolean terminal) {
    PrintWriter outWriter = new PrintWriter(out, true);
    PrintWriter errWriter = new PrintWriter(err, true);
    CommandLine commandLine = new CommandLine(new RosterCli(outWriter, errWriter, stop, terminal));
    commandLine
        .setOut(outWriter)
        .setErr(errWriter)
        .setParameterExceptionHandler(RosterCli::onUsageError)
        .setExecutionExceptionHandler((e, failed, parseResult) -> onFailure(e, failed.getErr()));
    try {
      return commandLine.execute(args);
    } finally {
      outWriter.flush();
      errWriter.flush();
    }
  }

  /**
   * The exit code for a gRPC status: 2 INVALID_ARGUMENT, 3 NOT_FOUND, 4 FAILED_PRECONDITION, 1 for
   * any other (UNAVAILABLE when no target answered, DEADLINE_EXCEEDED, UNIMPLEMENTED, ...).
   */
  static int exitCodeOf(Status.Code code) {
    switch (code) {
      case OK:
        return 0;
      case INVALID_ARGUMENT:
        return 2;
      case NOT_FOUND:
        return 3;
      case FAILED_PRECONDITION:
        return 4;
      default:
        return 1;
    }
  }

  /** Prints {@code error: <GRPC_STATUS>: <description>} and returns the status's exit code. */
  int fail(Status status) {
    return printError(err, status);
  }

  private static int printError(PrintWriter err, Status status) {
    err.println("error: " + status.getCode() + ": " + Targets.describe(status));
    return exitCodeOf(status.getCode());
  }

  /** The --output given, else {@code whenNotGiven}. */
  OutputFormat output(OutputFormat whenNotGiven) {
    return output == null ? whenNotGiven : output;
  }

  /**
   * Prints one answer as --output asks: a line of canonical JSON, or (--output table) the table of
   * its fields ({@link Table#ofFields}).
   */
  void print(MessageOrBuilder message) {
    print(message, Table.ofFields(message));
  }

  /** Prints one answer as a line of canonical JSON, or (--output table) as {@code table}. */
  void print(MessageOrBuilder message, Table table) {
    if (output(OutputFormat.json) == OutputFormat.table) {
      table.print(out);
    } else {
      out.println(JsonObject.protoJson(message));
    }
  }

  /** Prints an answer that is not one message as a line of JSON, or (--output table) a table. */
  void print(JsonObject json, Table table) {
    if (output(OutputFormat.json) == OutputFormat.table) {
      table.print(out);
    } else {
      out.println(json);
    }
  }

  PrintWriter out() {
    return out;
  }

  /** Whether stdout is a terminal (not redirected to a file or a pipe). */
  boolean terminal() {
    return terminal;
  }

  /** For progress notes of long-running commands (reconnects), which are not answers. */
  PrintWriter err() {
    return err;
  }

  StopSignal stopSignal() {
    return stopSignal;
  }

  /**
   * The targets given by --target, with the --timeout-ms deadline and the TLS options; the caller
   * closes them.
   */
  Targets connect() {
    if (timeoutMillis <= 0) {
      throw new ParameterException(spec.commandLine(), "--timeout-ms must be positive");
    }
    return new Targets(targets, timeoutMillis, transport());
  }

  /**
   * Plaintext or TLS ({@link #channelCredentials}), with the bearer token on every call when one is
   * given.
   */
  private Targets.Transport transport() {
    Targets.Transport channel = channelCredentials();
    BearerToken bearer = bearerToken();
    if (bearer == null) {
      return channel;
    }
    if (!channel.tls()) {
      err.println(
          "roster: warning: the token crosses the network in the clear: give --ca-file (or"
              + " --tls) when the nodes speak TLS");
    }
    return new Targets.Transport(
        CompositeChannelCredentials.create(channel.credentials(), bearer),
        channel.tls(),
        channel.clientCertificate(),
        true);
  }

  /**
   * The token of --token or --token-file, else of $ROSTER_TOKEN or $ROSTER_TOKEN_FILE; null when
   * none is given. A file is read now.
   */
  private BearerToken bearerToken() {
    if (token != null && tokenFile != null) {
      throw new ParameterException(
          spec.commandLine(), "--token and --token-file are both given: give the token one way");
    }
    String value = token;
    String valueSource = "--token";
    Path file = tokenFile;
    String fileSource = "--token-file";
    if (value == null && file == null) {
      String fromEnvironment = System.getenv("ROSTER_TOKEN");
      String fileFromEnvironment = System.getenv("ROSTER_TOKEN_FILE");
      boolean hasValue = fromEnvironment != null && !fromEnvironment.isBlank();
      boolean hasFile = fileFromEnvironment != null && !fileFromEnvironment.isBlank();
      if (hasValue && hasFile) {
        throw new ParameterException(
            spec.commandLine(),
            "$ROSTER_TOKEN and $ROSTER_TOKEN_FILE are both set: give the token one way");
      }
      value = hasValue ? fromEnvironment : null;
      valueSource = "$ROSTER_TOKEN";
      file = hasFile ? Path.of(fileFromEnvironment.strip()) : null;
      fileSource = "$ROSTER_TOKEN_FILE";
    }
    try {
      if (value != null) {
        return BearerToken.of(value, valueSource);
      }
      return file == null ? null : BearerToken.fromFile(readable(file, fileSource), fileSource);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** Plaintext, or TLS with the CA and client certificate given; files checked now. */
  private Targets.Transport channelCredentials() {
    if ((certFile == null) != (keyFile == null)) {
      throw new ParameterException(
          spec.commandLine(),
          (certFile == null
                  ? "--key-file is given without --cert-file"
                  : "--cert-file is given" + " without --key-file")
              + ": a client certificate needs both (or $ROSTER_CERT_FILE and $ROSTER_KEY_FILE)");
    }
    if (!tls && caFile == null && certFile == null) {
      return new Targets.Transport(InsecureChannelCredentials.create(), false, false, false);
    }
    TlsChannelCredentials.Builder credentials = TlsChannelCredentials.newBuilder();
    try {
      if (caFile != null) {
        credentials.trustManager(readable(caFile, "--ca-file").toFile());
      }
      if (certFile != null) {
        credentials.keyManager(
            readable(certFile, "--cert-file").toFile(), readable(keyFile, "--key-file").toFile());
      }
    } catch (IOException e) {
      throw new ParameterException(spec.commandLine(), "cannot read a TLS file: " + e);
    }
    ChannelCredentials built = credentials.build();
    try {
      Grpc.newChannelBuilder("localhost:1", built); // parses the files, connects nothing
    } catch (IllegalArgumentException e) {
      throw new ParameterException(
          spec.commandLine(),
          "the TLS files cannot be used (--ca-file: PEM certificates; --cert-file: PEM"
              + " certificate; --key-file: unencrypted PEM PKCS#8, BEGIN PRIVATE KEY): "
              + e.getMessage());
    }
    return new Targets.Transport(built, true, certFile != null, false);
  }

  private Path readable(Path file, String option) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new ParameterException(
          spec.commandLine(),
          option
              + " "
              + file
              + (Files.exists(file) ? " is not a file this user can read" : " does not exist"));
    }
    return file;
  }

  private static int onUsageError(ParameterException e, String[] args) {
    PrintWriter err = e.getCommandLine().getErr();
    err.println("error: " + e.getMessage());
    UnmatchedArgumentException.printSuggestions(e, err);
    err.println(
        "Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
    return EXIT_USAGE;
  }

  private static int onFailure(Exception e, PrintWriter err) {
    if (e instanceof StatusRuntimeException sre) {
      return printError(err, sre.getStatus());
    }
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      err.println("error: interrupted");
      return 1;
    }
    err.println("error: " + e); // a bug in the CLI: say where
    e.printStackTrace(err);
    return 1;
  }
}
