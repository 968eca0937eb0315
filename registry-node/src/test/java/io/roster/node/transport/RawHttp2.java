package io.roster.node.transport;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * HTTP/2 written by hand over a plain socket, for what no HTTP/2 library sends: a frame cut short,
 * a frame header announcing more than the peer allows, a connection that stops mid-frame. Frames
 * are laid out as RFC 9113 section 4.1 says; header blocks use HPACK literals only (no table, no
 * Huffman), which every decoder must accept.
 *
 * <p>One connection per instance; not thread-safe. Close it once.
 */
public final class RawHttp2 implements AutoCloseable {

  /** The client connection preface (RFC 9113 section 3.4). */
  public static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  public static final int DATA = 0x0;
  public static final int HEADERS = 0x1;
  public static final int SETTINGS = 0x4;
  public static final int PING = 0x6;
  public static final int GOAWAY = 0x7;

  public static final int END_STREAM = 0x1;
  public static final int ACK = 0x1;
  public static final int END_HEADERS = 0x4;

  /** GOAWAY and RST_STREAM error codes (RFC 9113 section 7). */
  public static final int FRAME_SIZE_ERROR = 0x6;

  private final Socket socket;
  private final DataInputStream in;

  /** One frame as read: its type, flags, stream and payload. */
  public record Frame(int type, int flags, int streamId, byte[] payload) {

    /** A GOAWAY's error code. */
    public int goAwayErrorCode() {
      return ByteBuffer.wrap(payload, 4, 4).getInt();
    }

    /** A GOAWAY's debug data, as text. */
    public String goAwayDebugData() {
      return new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return type == GOAWAY
          ? "GOAWAY error " + goAwayErrorCode() + " \"" + goAwayDebugData() + "\""
          : "frame type " + type + " flags " + flags + " stream " + streamId;
    }
  }

  private RawHttp2(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
  }

  /** Connects to {@code host:port}; nothing is sent yet. */
  public static RawHttp2 connect(String host, int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), 5_000);
    socket.setTcpNoDelay(true);
    return new RawHttp2(socket);
  }

  /** Sends {@code bytes} as they are. */
  public void send(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
  }

  /** The preface and an empty SETTINGS frame: a connection as every client opens it. */
  public void open() throws IOException {
    send(PREFACE);
    send(frame(SETTINGS, 0, 0, new byte[0]));
  }

  /**
   * Reads frames until the node closes the connection, answering its SETTINGS and PINGs only when
   * {@code answer}; fails when it is still open after {@code withinMillis}. Returns the frames
   * read.
   */
  public List<Frame> readUntilClosed(long withinMillis, boolean answer) throws IOException {
    List<Frame> frames = new ArrayList<>();
    long deadline = System.nanoTime() + withinMillis * 1_000_000;
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new AssertionError("still open after " + withinMillis + " ms; read " + frames);
      }
      socket.setSoTimeout((int) left);
      Frame frame;
      try {
        frame = readFrame();
      } catch (EOFException | SocketException closed) {
        return frames;
      } catch (SocketTimeoutException open) {
        throw new AssertionError("still open after " + withinMillis + " ms; read " + frames, open);
      }
      frames.add(frame);
      if (answer && frame.type() == SETTINGS && (frame.flags() & ACK) == 0) {
        send(frame(SETTINGS, ACK, 0, new byte[0]));
      } else if (answer && frame.type() == PING && (frame.flags() & ACK) == 0) {
        send(frame(PING, ACK, 0, frame.payload()));
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private Frame readFrame() throws IOException {
    int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
    int type = in.readUnsignedByte();
    int flags = in.readUnsignedByte();
    int streamId = in.readInt() & 0x7fffffff;
    byte[] payload = new byte[length];
    in.readFully(payload);
    return new Frame(type, flags, streamId, payload);
  }

  /** A frame: a 9-byte header (length, type, flags, stream) and {@code payload}. */
  public static byte[] frame(int type, int flags, int streamId, byte[] payload) {
    return ByteBuffer.allocate(9 + payload.length)
        .put(header(payload.length, type, flags, streamId))
        .put(payload)
        .array();
  }

  /** A frame header alone, announcing {@code length} bytes of payload. */
  public static byte[] header(int length, int type, int flags, int streamId) {
    return ByteBuffer.allocate(9)
        .put((byte) (length >>> 16))
        .putShort((short) length)
        .put((byte) type)
        .put((byte) flags)
        .putInt(streamId & 0x7fffffff)
        .array();
  }

  /** The header block of a gRPC call to {@code path} ({@code /package.Service/Method}). */
  public static byte[] grpcRequestHeaders(String authority, String path) {
    return headerBlock(
        Map.of(
            ":method", "POST",
            ":scheme", "http",
            ":authority", authority,
            ":path", path,
            "content-type", "application/grpc",
            "te", "trailers"));
  }

  /**
   * {@code headers} as an HPACK block of literals without indexing and new names (RFC 7541 section
   * 6.2.2), pseudo-headers first.
   */
  static byte[] headerBlock(Map<String, String> headers) {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    headers.entrySet().stream()
        .sorted((a, b) -> Boolean.compare(!a.getKey().startsWith(":"), !b.getKey().startsWith(":")))
        .forEach(
            header -> {
              block.write(0x00);
              string(block, header.getKey());
              string(block, header.getValue());
            });
    return block.toByteArray();
  }

  /** An HPACK string literal, not Huffman-coded: its length (a 7-bit prefix integer), its bytes. */
  private static void string(ByteArrayOutputStream out, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int length = bytes.length;
    if (length < 127) {
      out.write(length);
    } else {
      out.write(127);
      length -= 127;
      while (length >= 128) {
        out.write((length & 0x7f) | 0x80);
        length >>>= 7;
      }
      out.write(length);
    }
    out.writeBytes(bytes);
  }

  /** A gRPC message frame (flag 0, length, bytes) for a DATA frame's payload. */
  public static byte[] grpcMessage(byte[] message) {
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) 0)
        .putInt(message.length)
        .put(message)
        .array();
  }
}
