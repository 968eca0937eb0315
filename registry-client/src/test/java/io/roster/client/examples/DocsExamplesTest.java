package io.roster.client.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keeps docs/client.md honest: every {@code ```java} block in it must appear, line for line, in one
 * of the example classes of this package, which the build compiles. Changing an example without the
 * document (or the reverse) fails the build. A block may sit at any indentation in the example, the
 * same for all its lines.
 */
@Timeout(10)
class DocsExamplesTest {

  private static final Path DOC = Path.of("..", "docs", "client.md");
  private static final Path EXAMPLES =
      Path.of("src", "test", "java", "io", "roster", "client", "examples");

  @Test
  void everyJavaBlockOfTheClientGuideIsCompiledExampleCode() throws IOException {
    List<List<String>> blocks = javaBlocks(Files.readAllLines(DOC));
    List<List<String>> sources = new ArrayList<>();
    try (Stream<Path> files = Files.list(EXAMPLES)) {
      for (Path file : files.filter(f -> f.toString().endsWith("Example.java")).toList()) {
        sources.add(Files.readAllLines(file));
      }
    }

    List<String> missing = new ArrayList<>();
    for (List<String> block : blocks) {
      if (sources.stream().noneMatch(source -> contains(source, block))) {
        missing.add(String.join("\n", block));
      }
    }

    assertTrue(blocks.size() >= 10, "the guide lost its examples: " + blocks.size() + " blocks");
    assertTrue(
        missing.isEmpty(),
        "these ```java blocks of docs/client.md are not in "
            + EXAMPLES
            + " (copy them from there):\n\n"
            + String.join("\n\n", missing));
  }

  private static List<List<String>> javaBlocks(List<String> lines) {
    List<List<String>> blocks = new ArrayList<>();
    List<String> current = null;
    for (String line : lines) {
      if (current == null && line.strip().equals("```java")) {
        current = new ArrayList<>();
      } else if (current != null && line.strip().equals("```")) {
        blocks.add(current);
        current = null;
      } else if (current != null) {
        current.add(line.stripTrailing());
      }
    }
    return blocks;
  }

  /** Whether {@code source} holds {@code block} at one indentation. */
  private static boolean contains(List<String> source, List<String> block) {
    if (block.isEmpty()) {
      return true;
    }
    String first = block.get(0);
    for (int start = 0; start + block.size() <= source.size(); start++) {
      String line = source.get(start).stripTrailing();
      if (!line.endsWith(first) || !line.substring(0, line.length() - first.length()).isBlank()) {
        continue;
      }
      String indent = line.substring(0, line.length() - first.length());
      boolean all = true;
      for (int i = 1; i < block.size() && all; i++) {
        String expected = block.get(i).isEmpty() ? "" : indent + block.get(i);
        all = source.get(start + i).stripTrailing().equals(expected);
      }
      if (all) {
        return true;
      }
    }
    return false;
  }
}
