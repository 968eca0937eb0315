package io.roster.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports nothing listens on right now, distinct within one test run.
 *
 * <p>Drawn at random below the kernel's ephemeral range (Linux: 32768 and up), not asked of the
 * kernel with port 0: Linux hands out the same few ports to consecutive binds of port 0 (300 binds
 * gave 11 distinct ports), so a run that had handed those out found no new one, and the ports of
 * two test JVMs running side by side collided. Below the ephemeral range, no outgoing connection
 * takes a port between the draw and the bind either.
 */
public final class FreePorts {

  private static final int LOWEST = 15_000;
  private static final int HIGHEST = 32_000;

  private static final Set<Integer> handedOut = new HashSet<>();

  private FreePorts() {}

  public static synchronized int next() {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, HIGHEST);
      if (!handedOut.contains(port) && bindable(port)) {
        handedOut.add(port);
        return port;
      }
    }
    throw new IllegalStateException(
        "no free loopback port between " + LOWEST + " and " + HIGHEST + " after 1,000 draws");
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return socket.isBound();
    } catch (IOException inUse) {
      return false;
    }
  }
}
