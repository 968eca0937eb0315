package io.roster.node.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A protobuf message encoded once and sent on the wire as is, as many times as asked: what {@link
 * DiscoverAnswers} keeps. Its {@link #MARSHALLER} stands in for the generated one in a method
 * descriptor whose handler answers with pre-encoded messages; the caller's stub still decodes the
 * generated type, since the bytes are the same. {@link UnaryCall} writes the array itself ({@link
 * #buffer}), without going through the marshaller.
 *
 * <p>Immutable: the array is written once, by the encoder, and never handed out (only read-only
 * {@link ByteString} and Vert.x buffer views of it, and copies). It is kept as an array, not a
 * {@code ByteString}, because {@code ByteString.writeTo} copies the bytes again before writing
 * them, on every send. Safe to send from any thread, to any number of calls at once.
 */
final class EncodedMessage {

  /** Writes the bytes unchanged; reads any message's bytes (for a client of this descriptor). */
  static final MethodDescriptor.Marshaller<EncodedMessage> MARSHALLER = new Marshaller();

  private final byte[] bytes;

  private EncodedMessage(byte[] bytes) {
    this.bytes = bytes;
  }

  static EncodedMessage of(MessageLite message) {
    return new EncodedMessage(message.toByteArray());
  }

  /** The bytes, as a read-only view (no copy). */
  ByteString bytes() {
    return UnsafeByteOperations.unsafeWrap(bytes);
  }

  /**
   * The bytes as a Vert.x buffer, for a response written on Vert.x's own gRPC server: a read-only
   * view of the array, no copy.
   */
  Buffer buffer() {
    return BufferInternal.buffer(Unpooled.wrappedBuffer(bytes).asReadOnly());
  }

  int size() {
    return bytes.length;
  }

  private static final class Marshaller implements MethodDescriptor.Marshaller<EncodedMessage> {
    @Override
    public InputStream stream(EncodedMessage value) {
      return new BytesStream(value.bytes);
    }

    @Override
    public EncodedMessage parse(InputStream stream) {
      try {
        return new EncodedMessage(stream.readAllBytes());
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
    private final byte[] bytes;
    private int position;

    BytesStream(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int drained = bytes.length - position;
      target.write(bytes, position, drained);
      position = bytes.length;
      return drained;
    }

    @Override
    public int read() {
      return position < bytes.length ? bytes[position++] & 0xff : -1;
    }

    @Override
    public int read(byte[] target, int offset, int length) {
      if (length == 0) {
        return 0;
      }
      if (position >= bytes.length) {
        return -1;
      }
      int count = Math.min(length, bytes.length - position);
      System.arraycopy(bytes, position, target, offset, count);
      position += count;
      return count;
    }

    @Override
    public int available() {
      return bytes.length - position;
    }
  }
}
