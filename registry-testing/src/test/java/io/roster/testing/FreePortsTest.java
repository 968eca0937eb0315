package io.roster.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {

  private static final Path LINUX_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

  /**
   * A port in the ephemeral range can be an outgoing connection's local port: a member dialling a
   * peer's port before the peer listens then connects to itself, and Hazelcast takes the peer's
   * address for its own (the peer never finishes joining).
   */
  @Test
  void noPortLiesInTheRangeOutgoingConnectionsTakeTheirPortsFrom() throws IOException {
    assumeTrue(Files.isReadable(LINUX_RANGE), "the kernel's range is read here on Linux only");
    String[] range = Files.readAllLines(LINUX_RANGE).get(0).trim().split("\\s+");
    int first = Integer.parseInt(range[0]);
    int last = Integer.parseInt(range[1]);
    for (int i = 0; i < 200; i++) {
      int port = FreePorts.next();
      assertTrue(
          port < first || port > last,
          "port " + port + " lies in the ephemeral range " + first + "-" + last);
    }
  }

  @Test
  void portsAreDistinctAndFreeToBindWithoutReusingAnAddress() throws IOException {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      int port = FreePorts.next();
      assertTrue(seen.add(port), "port " + port + " handed out twice");
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(false);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      }
    }
  }

  @Test
  void candidatesAreThePortsBelowAndAboveTheRange() {
    FreePorts.Candidates linux = FreePorts.Candidates.outside(new int[] {32_768, 60_999});
    assertEquals((32_768 - FreePorts.LOWEST) + (65_535 - 61_000 + 1), linux.count());
    assertEquals(FreePorts.LOWEST, linux.port(0));
    assertEquals(32_767, linux.port(32_767 - FreePorts.LOWEST));
    assertEquals(61_000, linux.port(32_768 - FreePorts.LOWEST));
    assertEquals(65_535, linux.port(linux.count() - 1));

    FreePorts.Candidates iana = FreePorts.Candidates.outside(new int[] {49_152, 65_535});
    assertEquals(49_152 - FreePorts.LOWEST, iana.count());
    assertEquals(49_151, iana.port(iana.count() - 1));
  }

  @Test
  void aRangeCoveringAlmostEveryPortIsRefusedWithItsReason() {
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class,
            () -> FreePorts.Candidates.outside(new int[] {1_024, 65_000}));
    assertTrue(refused.getMessage().contains("1024-65000"), refused.getMessage());
  }
}
