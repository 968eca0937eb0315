package io.roster.node.api;

import com.google.protobuf.ByteString;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A protobuf message encoded once and sent on the wire as is, as many times as asked: what {@link
 * DiscoverAnswers} keeps. Its {@link #MARSHALLER} stands in for the generated one in a method
 * descriptor whose handler answers with pre-encoded messages; the caller's stub still decodes the
 * generated type, since the bytes are the same.
 *
 * <p>Immutable (the bytes are a {@link ByteString}); safe to send from any thread, to any number of
 * calls at once.
 */
final class EncodedMessage {

  /** Writes the bytes unchanged; reads any message's bytes (for a client of this descriptor). */
  static final MethodDescriptor.Marshaller<EncodedMessage> MARSHALLER = new Marshaller();

  private final ByteString bytes;

  EncodedMessage(ByteString bytes) {
    this.bytes = bytes;
  }

  ByteString bytes() {
    return bytes;
  }

  int size() {
    return bytes.size();
  }

  private static final class Marshaller implements MethodDescriptor.Marshaller<EncodedMessage> {
    @Override
    public InputStream stream(EncodedMessage value) {
      return new BytesStream(value.bytes);
    }

    @Override
    public EncodedMessage parse(InputStream stream) {
      try {
        return new EncodedMessage(ByteString.readFrom(stream));
      } catch (IOException e) {
        throw new IllegalStateException("reading an encoded message failed", e);
      }
    }
  }

  /**
   * The bytes as a stream that says its length and drains in one write: both grpc-java's transports
   * and the Vert.x bridge then copy the message once instead of reading it in chunks.
   */
  private static final class BytesStream extends InputStream implements Drainable, KnownLength {
    private final ByteString bytes;
    private int position;

    BytesStream(ByteString bytes) {
      this.bytes = bytes;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int drained = bytes.size() - position;
      bytes.substring(position).writeTo(target);
      position = bytes.size();
      return drained;
    }

    @Override
    public int read() {
      return position < bytes.size() ? bytes.byteAt(position++) & 0xff : -1;
    }

    @Override
    public int read(byte[] target, int offset, int length) {
      if (length == 0) {
        return 0;
      }
      if (position >= bytes.size()) {
        return -1;
      }
      int count = Math.min(length, bytes.size() - position);
      bytes.substring(position, position + count).copyTo(target, offset);
      position += count;
      return count;
    }

    @Override
    public int available() {
      return bytes.size() - position;
    }
  }
}
