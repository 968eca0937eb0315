package io.roster.node.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * A node's configuration file: YAML whose keys are the configuration keys, written dotted ({@code
 * api.port: 7101}), nested ({@code api: {port: 7101}}) or mixed ({@code api: {tls.enabled: true}}),
 * each flattened to the dotted key.
 *
 * <p>Every scalar is taken as the text written, whatever YAML would type it as, and checked by the
 * key's own rules later: so {@code 7101}, {@code "7101"} and {@code true} read as the flag {@code
 * --api.port=7101} would, and YAML 1.1's {@code yes}/{@code on} are refused as booleans instead of
 * silently meaning true. A null ({@code key:}, {@code ~}, {@code null}) is the empty value. A list
 * is accepted for the keys that take a comma-separated list, and joined with commas.
 *
 * <p>The YAML is read to its node tree (not to Java objects) so that each key keeps its line, for
 * messages that say where the mistake is.
 */
final class ConfigFile {

  /** Keys whose value is a comma-separated list, which the file may also write as a YAML list. */
  static final Set<String> LIST_KEYS = Set.of("cluster.members", "log.levels");

  /** A value as written in the file, and the line (from 1) of its key. */
  record Value(String value, int line) {}

  private ConfigFile() {}

  /** Every key the file sets, in the file's order. */
  static Map<String, Value> read(Path file) {
    // The core schema: a plain ~, null or nothing is null (the JSON schema knows only "null").
    LoadSettings settings =
        LoadSettings.builder().setLabel(file.toString()).setSchema(new CoreSchema()).build();
    Optional<Node> root;
    try (InputStream in = Files.newInputStream(file)) {
      root = new Compose(settings).composeInputStream(in);
    } catch (IOException e) {
      throw new ConfigException("config file " + file + " cannot be read: " + e.getMessage());
    } catch (MarkedYamlEngineException e) {
      throw new ConfigException(
          "config file " + file + " is not valid YAML: " + e.getProblem() + where(e));
    } catch (YamlEngineException e) {
      throw new ConfigException(
          "config file " + file + " cannot be read as YAML: " + e.getMessage());
    }
    Map<String, Value> values = new LinkedHashMap<>();
    if (root.isEmpty() || isNull(root.get())) {
      return values; // an empty file, or one of comments only, sets nothing
    }
    if (!(root.get() instanceof MappingNode mapping)) {
      throw new ConfigException(
          "config file "
              + file
              + " must be a YAML mapping of keys to values, such as \"api.port: 7101\" (line "
              + line(root.get())
              + "); a Java properties file (key=value) is no longer read");
    }
    flatten(file, "", mapping, values);
    return values;
  }

  private static void flatten(
      Path file, String prefix, MappingNode mapping, Map<String, Value> to) {
    for (NodeTuple tuple : mapping.getValue()) {
      Node keyNode = tuple.getKeyNode();
      if (!(keyNode instanceof ScalarNode scalarKey) || isNull(keyNode)) {
        throw new ConfigException(
            "config file " + file + ", line " + line(keyNode) + ": a key must be plain text");
      }
      String key = prefix + scalarKey.getValue().strip();
      Node value = tuple.getValueNode();
      if (value instanceof MappingNode nested) {
        flatten(file, key + ".", nested, to);
        continue;
      }
      String text;
      if (value instanceof SequenceNode list) {
        text = joined(file, key, list);
      } else {
        text = isNull(value) ? "" : ((ScalarNode) value).getValue();
      }
      Value previous = to.put(key, new Value(text, line(keyNode)));
      if (previous != null) {
        throw new ConfigException(
            "config file "
                + file
                + ": "
                + key
                + " is given twice, at lines "
                + previous.line()
                + " and "
                + line(keyNode));
      }
    }
  }

  private static String joined(Path file, String key, SequenceNode list) {
    if (!LIST_KEYS.contains(key)) {
      throw new ConfigException(
          "config file "
              + file
              + ", line "
              + line(list)
              + ": "
              + key
              + " takes one value, not a list (lists are for "
              + String.join(", ", LIST_KEYS.stream().sorted().toList())
              + ")");
    }
    List<String> items = new ArrayList<>();
    for (Node item : list.getValue()) {
      if (!(item instanceof ScalarNode scalar) || isNull(item)) {
        throw new ConfigException(
            "config file "
                + file
                + ", line "
                + line(item)
                + ": each item of "
                + key
                + " must be a plain value, such as 10.0.0.1:5701");
      }
      items.add(scalar.getValue().strip());
    }
    return String.join(",", items);
  }

  private static boolean isNull(Node node) {
    return Tag.NULL.equals(node.getTag());
  }

  /** The line (from 1) a node starts on. */
  private static int line(Node node) {
    return node.getStartMark().map(mark -> mark.getLine() + 1).orElse(0);
  }

  /**
   * Where the parser found the problem, and where what it was reading began: for a key missing its
   * colon the problem shows on the next line, the context on the line to fix.
   */
  private static String where(MarkedYamlEngineException e) {
    String problem = e.getProblemMark().map(ConfigFile::at).orElse("");
    String context =
        e.getContext() == null
            ? ""
            : " (" + e.getContext() + e.getContextMark().map(ConfigFile::at).orElse("") + ")";
    return problem + context;
  }

  private static String at(Mark mark) {
    return " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
  }
}
