package io.roster.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.client.ServiceEndpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class SnapshotFileTest {

  @TempDir Path dir;

  @Test
  void savedEndpointsLoadBackWithWhenTheyWereConfirmed() throws IOException {
    ServiceState orders = new ServiceState("prod", "orders");
    orders.apply(
        ServiceStateTest.snapshot(
            12, false, ServiceStateTest.instance("a", 10), ServiceStateTest.instance("b", 12)));
    ServiceEndpoints saved = orders.endpoints();
    Path file = dir.resolve("sub/snapshot.bin");

    SnapshotFile.save(file, "prod", List.of(new SnapshotFile.Saved(saved, 1_700_000_000_000L)));
    List<SnapshotFile.Saved> loaded = SnapshotFile.load(file, "prod");

    assertEquals(1, loaded.size());
    assertEquals(1_700_000_000_000L, loaded.get(0).confirmedAtMillis());
    ServiceEndpoints endpoints = loaded.get(0).endpoints();
    assertEquals(12, endpoints.revision());
    assertEquals(saved.instances(), endpoints.instances());
    assertEquals(List.of("snapshot.bin"), List.of(file.getParent().toFile().list()));
  }

  @Test
  void aMissingFileIsEmptyAndAForeignOneIsRefused() throws IOException {
    assertTrue(SnapshotFile.load(dir.resolve("none.bin"), "default").isEmpty());
    Path junk = Files.writeString(dir.resolve("junk.bin"), "not a snapshot");
    assertThrows(IOException.class, () -> SnapshotFile.load(junk, "default"));
    Path other = dir.resolve("other.bin");
    SnapshotFile.save(other, "prod", List.of());
    IOException e = assertThrows(IOException.class, () -> SnapshotFile.load(other, "default"));
    assertTrue(e.getMessage().contains("namespace prod"), e.getMessage());
  }
}
