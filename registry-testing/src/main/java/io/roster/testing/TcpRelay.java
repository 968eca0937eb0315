package io.roster.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on a loopback port to one target, which a test can cut and restore: a network path
 * between a client and a node that goes away and comes back while the node itself runs on. While
 * cut, connections are refused and those open are closed.
 *
 * <p>Thread-safe; each connection is relayed by two daemon threads.
 */
public final class TcpRelay implements AutoCloseable {

  private final InetSocketAddress target;
  private final int port = FreePorts.next();
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile ServerSocket listener;

  private TcpRelay(InetSocketAddress target) {
    this.target = target;
  }

  /** A relay to {@code host:port}, open. */
  public static TcpRelay to(String host, int port) {
    TcpRelay relay = new TcpRelay(new InetSocketAddress(host, port));
    relay.restore();
    return relay;
  }

  /** "127.0.0.1:port" to give a client instead of the target's address. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Refuses new connections and closes those open. */
  public synchronized void cut() {
    ServerSocket current = listener;
    listener = null;
    closeQuietly(current);
    for (Socket socket : open) {
      closeQuietly(socket);
    }
    open.clear();
  }

  /** Accepts and relays connections again. */
  public synchronized void restore() {
    if (listener != null) {
      return;
    }
    try {
      ServerSocket server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      listener = server;
      daemon("relay-accept-" + port, () -> accept(server));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
    }
  }

  @Override
  public void close() {
    cut();
  }

  private void accept(ServerSocket server) {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket();
        try {
          upstream.connect(target, 5_000);
        } catch (IOException unreachable) {
          closeQuietly(client);
          closeQuietly(upstream);
          continue;
        }
        open.add(client);
        open.add(upstream);
        daemon("relay-up-" + port, () -> pump(client, upstream));
        daemon("relay-down-" + port, () -> pump(upstream, client));
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
        out.flush();
      }
    } catch (IOException ended) {
      // Either side closed, or the relay was cut.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      open.remove(from);
      open.remove(to);
    }
  }

  private static void daemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception ignored) {
      // Closing is all that is wanted.
    }
  }
}
