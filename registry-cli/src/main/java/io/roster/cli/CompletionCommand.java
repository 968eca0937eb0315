package io.roster.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Prints the shell completion script of {@code roster}: its commands and each command's options,
 * generated from the same declarations that parse them, so it cannot drift from the CLI.
 */
@Command(
    name = "completion",
    description = {
      "Prints a script that completes roster's commands and options in bash or zsh.",
      "bash: source <(roster completion bash)   (or save it in" + " /etc/bash_completion.d/roster)",
      "zsh:  source <(roster completion zsh)    (the script loads zsh's bashcompinit itself)"
    })
final class CompletionCommand implements Callable<Integer> {
  /**
   * Shells the script works in: picocli's script is bash's, and zsh runs it through bashcompinit.
   */
  enum Shell {
    bash,
    zsh
  }

  @ParentCommand private RosterCli cli;

  @Spec private CommandSpec spec;

  @Parameters(
      index = "0",
      arity = "0..1",
      defaultValue = "bash",
      paramLabel = "bash|zsh",
      description = "The shell (default: ${DEFAULT-VALUE}).")
  private Shell shell;

  @Override
  public Integer call() {
    cli.out().print(AutoComplete.bash("roster", spec.root().commandLine()));
    cli.out().flush();
    return 0;
  }
}
