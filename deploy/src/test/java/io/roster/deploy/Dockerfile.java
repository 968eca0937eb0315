package io.roster.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The instructions of a Dockerfile, as Docker reads them: parser directives and comments dropped,
 * continued lines joined, each instruction tied to the build stage it belongs to. Only what the
 * checks need: no variable substitution, no heredocs (the file uses neither).
 */
record Dockerfile(List<Dockerfile.Instruction> instructions) {

  /** One instruction: its keyword upper-cased, its arguments as written, its stage (0-based). */
  record Instruction(String keyword, String arguments, int stage) {

    /** The exec form ({@code ["a", "b"]}) that follows {@code afterWord}, or the arguments. */
    List<String> execForm(String afterWord) {
      String rest = arguments;
      if (afterWord != null) {
        int at = rest.indexOf(afterWord + " ");
        if (at < 0) {
          throw new AssertionError(keyword + " has no " + afterWord + ": " + arguments);
        }
        rest = rest.substring(at + afterWord.length()).strip();
      }
      if (!rest.startsWith("[")) {
        throw new AssertionError(keyword + " is not in exec form ([\"...\"]): " + arguments);
      }
      try {
        return new ObjectMapper().readValue(rest, new TypeReference<List<String>>() {});
      } catch (IOException e) {
        throw new AssertionError(keyword + " exec form is not a JSON array: " + rest, e);
      }
    }
  }

  static Dockerfile read(Path file) throws IOException {
    List<Instruction> instructions = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    int stage = -1;
    for (String raw : Files.readAllLines(file)) {
      String line = raw.strip();
      // Comments (and parser directives, which look like them) are dropped, even inside an
      // instruction continued over several lines, as Docker does.
      if (line.startsWith("#") || (line.isEmpty() && pending.isEmpty())) {
        continue;
      }
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      pending.append(line);
      String whole = pending.toString().strip();
      pending.setLength(0);
      if (whole.isEmpty()) {
        continue;
      }
      int space = whole.indexOf(' ');
      String keyword = (space < 0 ? whole : whole.substring(0, space)).toUpperCase(Locale.ROOT);
      String arguments = space < 0 ? "" : whole.substring(space + 1).strip();
      if (keyword.equals("FROM")) {
        stage++;
      }
      instructions.add(new Instruction(keyword, arguments, stage));
    }
    if (!pending.isEmpty()) {
      throw new AssertionError(file + " ends inside a continued instruction");
    }
    return new Dockerfile(List.copyOf(instructions));
  }

  int stages() {
    return (int) instructions.stream().filter(i -> i.keyword().equals("FROM")).count();
  }

  int lastStage() {
    return stages() - 1;
  }

  List<Instruction> all(String keyword, int stage) {
    return instructions.stream()
        .filter(i -> i.keyword().equals(keyword) && i.stage() == stage)
        .toList();
  }

  /** The one instruction of this kind in the stage (Docker uses the last; two is a mistake). */
  Instruction only(String keyword, int stage) {
    List<Instruction> found = all(keyword, stage);
    if (found.size() != 1) {
      throw new AssertionError(
          "expected one " + keyword + " in stage " + stage + ", found " + found.size());
    }
    return found.get(0);
  }

  /** The environment the image's containers start with (ENV of the final stage). */
  Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    for (Instruction instruction : all("ENV", lastStage())) {
      for (String pair : words(instruction.arguments())) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new AssertionError("ENV takes KEY=VALUE pairs, got " + pair);
        }
        env.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
    }
    return env;
  }

  /** Splits on blanks outside double quotes, dropping the quotes. */
  static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean quoted = false;
    for (char c : text.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
      } else if (Character.isWhitespace(c) && !quoted) {
        if (!word.isEmpty()) {
          words.add(word.toString());
          word.setLength(0);
        }
      } else {
        word.append(c);
      }
    }
    if (quoted) {
      throw new AssertionError("unbalanced quote in: " + text);
    }
    if (!word.isEmpty()) {
      words.add(word.toString());
    }
    return words;
  }
}
