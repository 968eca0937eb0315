package io.roster.node.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/api.md and the README show what the tests run: every curl command ({@link HttpExamples}),
 * every Node.js command ({@link NodeExamples}) and the Node.js client's code as it is in
 * docs/examples/node. A changed example fails here until the documents show it.
 */
class ApiDocsTest {

  private static final Pattern SNIPPET =
      Pattern.compile("// \\[START (\\w+)]\\n(.*?)\\n\\s*// \\[END \\1]", Pattern.DOTALL);

  @Test
  void apiMdShowsEveryCurlCommandTheTestsRun() throws IOException {
    String api = read(Repository.docs("api.md"));
    for (HttpExamples.Example example : HttpExamples.ALL) {
      String curl = example.curl(HttpExamples.DOCS_BASE_URL);
      assertTrue(api.contains(curl), "docs/api.md does not show: " + curl);
    }
  }

  @Test
  void apiMdShowsEveryNodeJsCommandTheTestsRun() throws IOException {
    String api = read(Repository.docs("api.md"));
    for (List<String> command : NodeExamples.ALL) {
      String line = NodeExamples.shell(command);
      assertTrue(api.contains(line), "docs/api.md does not show: " + line);
    }
  }

  @Test
  void readmeSaysHowToInstallAndRunTheNodeJsClient() throws IOException {
    String readme = read(Repository.root().resolve("README.md"));
    for (String expected :
        List.of(
            "cd docs/examples/node && npm ci",
            NodeExamples.shell(NodeExamples.REGISTER),
            NodeExamples.shell(NodeExamples.DISCOVER),
            HttpExamples.DISCOVER_GET.curl(HttpExamples.DOCS_BASE_URL))) {
      assertTrue(readme.contains(expected), "README.md does not show: " + expected);
    }
  }

  @Test
  void apiMdQuotesTheNodeJsClientsCodeAsItIs() throws IOException {
    String api = read(Repository.docs("api.md"));
    List<String> quoted = new ArrayList<>();
    try (Stream<Path> files = Files.list(Repository.nodeExample())) {
      for (Path file : files.filter(f -> f.toString().endsWith(".js")).sorted().toList()) {
        Matcher snippet = SNIPPET.matcher(read(file));
        while (snippet.find()) {
          assertTrue(
              api.contains(snippet.group(2)),
              "docs/api.md does not quote snippet " + snippet.group(1) + " of " + file + " as is");
          quoted.add(snippet.group(1));
        }
      }
    }
    assertFalse(quoted.isEmpty(), "no [START name] snippets found in docs/examples/node");
  }

  @Test
  void apiMdDocumentsEveryRpcAndEveryRoute() throws IOException {
    String api = read(Repository.docs("api.md"));
    Path protos = Repository.root().resolve("proto/src/main/proto/roster/v1");
    try (Stream<Path> files = Files.list(protos)) {
      for (Path proto : files.sorted().toList()) {
        Matcher rpc = Pattern.compile("\\brpc (\\w+)\\(").matcher(read(proto));
        while (rpc.find()) {
          assertTrue(
              api.contains("### " + rpc.group(1)),
              "docs/api.md has no section \"### " + rpc.group(1) + "\"");
        }
      }
    }
    for (String operation : HttpApiTest.openApiOperations(read(Repository.docs("openapi.yaml")))) {
      assertTrue(api.contains("`" + operation), "docs/api.md does not document " + operation);
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file);
  }
}
