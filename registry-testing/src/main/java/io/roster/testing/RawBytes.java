package io.roster.testing;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A gRPC marshaller that sends and receives message bytes as they are, for the requests no
 * generated stub would send (not protobuf, too large, cut short).
 */
public final class RawBytes {

  public static final MethodDescriptor.Marshaller<byte[]> MARSHALLER =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private RawBytes() {}

  /** {@code method}, its name and type kept, sending and receiving bytes as they are. */
  public static MethodDescriptor<byte[], byte[]> method(MethodDescriptor<?, ?> method) {
    return method.toBuilder(MARSHALLER, MARSHALLER).build();
  }
}
