package io.roster.node.http;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files of this checkout that tests read or run: the docs and the examples. */
public final class Repository {

  private Repository() {}

  /** The checkout's root: the first directory up from the working directory with docs/api.md. */
  public static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("docs").resolve("api.md"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "no docs/api.md above " + Path.of("").toAbsolutePath() + ": run from the checkout");
  }

  public static Path docs(String file) {
    return root().resolve("docs").resolve(file);
  }

  /** docs/examples/node: the Node.js client. */
  public static Path nodeExample() {
    return root().resolve("docs").resolve("examples").resolve("node");
  }

  /** docs/examples/reflection: a Node.js client with no .proto file, through reflection. */
  public static Path reflectionExample() {
    return root().resolve("docs").resolve("examples").resolve("reflection");
  }
}
