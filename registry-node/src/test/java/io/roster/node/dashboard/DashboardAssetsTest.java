package io.roster.node.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class DashboardAssetsTest {

  @Test
  void servesExactlyTheFilesOfItsDirectoryEachWithAContentType() throws IOException {
    Set<String> shipped = new HashSet<>();
    try (Stream<Path> files = Files.list(Path.of("src/main/resources/dashboard"))) {
      files.forEach(file -> shipped.add(file.getFileName().toString()));
    }
    assertEquals(shipped, Set.copyOf(DashboardAssets.FILES));
    for (String file : DashboardAssets.FILES) {
      DashboardAssets.contentType(file);
    }
    new DashboardAssets(); // every file is in the jar's resources
  }
}
