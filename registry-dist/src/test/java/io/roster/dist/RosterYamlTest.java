package io.roster.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.roster.node.config.ConfigLoader;
import io.roster.node.config.NodeConfig;
import io.roster.node.config.Profile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * The tarball's conf/roster.yaml lists every key of the {@code lan} profile exactly once, with its
 * default, so it cannot drift from the node: a key added to {@link Profile} without a line here, a
 * default changed on one side only, or a line for a key that no longer exists fails the build.
 *
 * <p>The file's conventions, which this test reads: a default is a comment line {@code # key:
 * value}; a key an operator must set is an uncommented {@code key: example} whose comment block has
 * {@code # default: value}. {@code api.event-loops} depends on the machine's cores, so its line
 * holds {@link #EVENT_LOOPS_PLACEHOLDER}.
 */
class RosterYamlTest {

  static final Path FILE =
      Path.of(System.getProperty("roster.dist.source", "src/dist"), "conf", "roster.yaml");

  static final String EVENT_LOOPS_PLACEHOLDER = "<half the cores, at least 1>";

  /** "# cluster.port: 5701": a key has at least one dot, which prose before a colon has not. */
  private static final Pattern COMMENTED =
      Pattern.compile("^# ([a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)+):(?: (.*))?$");

  private static final Pattern SET = Pattern.compile("^([a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)+):(.*)$");
  private static final Pattern DEFAULT = Pattern.compile("^# default:(?: (.*))?$");

  /** The files the example sets, which do not exist here: every check but theirs still runs. */
  private static final String[] WITHOUT_EXAMPLE_FILES = {
    "--api.tls.enabled=false",
    "--api.tls.cert-chain-file=",
    "--api.tls.private-key-file=",
    "--security.access-file=",
    "--cluster.secret-file=",
    "--security.insecure=true"
  };

  private record Entry(String key, String value, boolean set, int line) {}

  @Test
  void listsEveryKeyOfTheLanProfileOnceWithItsDefault() throws IOException {
    Map<String, String> defaults = Profile.LAN.defaults();
    Map<String, Entry> entries = entries();

    assertEquals(
        new TreeSet<>(defaults.keySet()),
        new TreeSet<>(entries.keySet()),
        "the keys of " + FILE + " against Profile.LAN's");
    List<String> wrong = new ArrayList<>();
    for (Entry entry : entries.values()) {
      String expected = defaults.get(entry.key());
      if (entry.key().equals("api.event-loops")) {
        expected = EVENT_LOOPS_PLACEHOLDER;
      }
      if (!entry.value().equals(expected)) {
        wrong.add(
            "line "
                + entry.line()
                + ": "
                + entry.key()
                + " says "
                + (entry.set() ? "default " : "")
                + "\""
                + entry.value()
                + "\", the node's default is \""
                + expected
                + "\"");
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void theNodeReadsTheFileAsShippedAndWithEveryDefaultUncommented(@TempDir Path dir)
      throws IOException {
    NodeConfig shipped = load(FILE);
    assertEquals(
        List.of("10.0.0.1:5701", "10.0.0.2:5701", "10.0.0.3:5701"), shipped.cluster().members());
    assertEquals("10.0.0.1", shipped.cluster().host());

    // Uncommented, each default line must be YAML the node reads as that very default.
    StringBuilder uncommented = new StringBuilder();
    for (String line : Files.readAllLines(FILE)) {
      Matcher commented = COMMENTED.matcher(line);
      if (commented.matches() && !line.contains(EVENT_LOOPS_PLACEHOLDER)) {
        uncommented.append(line.substring(2));
      } else {
        uncommented.append(line);
      }
      uncommented.append('\n');
    }
    Path all = dir.resolve("roster.yaml");
    Files.writeString(all, uncommented);
    assertEquals(shipped, load(all));
  }

  private static NodeConfig load(Path file) {
    List<String> args = new ArrayList<>(List.of(WITHOUT_EXAMPLE_FILES));
    args.add("--config=" + file);
    return ConfigLoader.load(args.toArray(String[]::new), Map.of());
  }

  /** Every key the file mentions, set or commented, with the default it states. */
  private static Map<String, Entry> entries() throws IOException {
    Compose yaml = new Compose(LoadSettings.builder().setSchema(new CoreSchema()).build());
    Map<String, Entry> entries = new LinkedHashMap<>();
    String statedDefault = null; // of the comment block above the current line
    int number = 0;
    for (String line : Files.readAllLines(FILE)) {
      number++;
      Matcher commented = COMMENTED.matcher(line);
      Matcher set = SET.matcher(line);
      Matcher stated = DEFAULT.matcher(line);
      Entry entry = null;
      if (stated.matches()) {
        statedDefault = scalar(yaml, stated.group(1));
      } else if (commented.matches()) {
        String value = commented.group(2);
        entry =
            new Entry(
                commented.group(1),
                EVENT_LOOPS_PLACEHOLDER.equals(value) ? value : scalar(yaml, value),
                false,
                number);
      } else if (set.matches()) {
        if (statedDefault == null) {
          fail(FILE + " line " + number + ": " + set.group(1) + " is set without # default:");
        }
        entry = new Entry(set.group(1), statedDefault, true, number);
      } else if (line.isBlank()) {
        statedDefault = null;
      }
      if (entry != null) {
        Entry previous = entries.put(entry.key(), entry);
        if (previous != null) {
          fail(FILE + ": " + entry.key() + " at lines " + previous.line() + " and " + number);
        }
        statedDefault = null;
      }
    }
    return entries;
  }

  /** A YAML scalar as the node reads it (ConfigFile): the text written, and null as empty. */
  private static String scalar(Compose yaml, String text) {
    MappingNode mapping =
        (MappingNode) yaml.composeString("v: " + (text == null ? "" : text)).get();
    Node value = mapping.getValue().get(0).getValueNode();
    return Tag.NULL.equals(value.getTag()) ? "" : ((ScalarNode) value).getValue();
  }
}
