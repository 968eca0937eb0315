package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Drainable;
import io.roster.testing.Instances;
import io.roster.v1.DiscoverResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The marshaller of pre-encoded messages writes exactly the message's own bytes, however read. */
class EncodedMessageTest {

  private final DiscoverResponse message =
      DiscoverResponse.newBuilder()
          .setRevision(42)
          .addInstances(Instances.of("orders").setZone("zone-a"))
          .addInstances(Instances.of("orders").putMetadata("team", "payments"))
          .build();
  private final EncodedMessage encoded = EncodedMessage.of(message);

  @Test
  void drainingWritesTheMessageBytesInOneGo() throws IOException {
    InputStream stream = EncodedMessage.MARSHALLER.stream(encoded);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    assertEquals(message.getSerializedSize(), stream.available());
    assertEquals(message.getSerializedSize(), ((Drainable) stream).drainTo(out));
    assertArrayEquals(message.toByteArray(), out.toByteArray());
    assertEquals(0, stream.available());
    assertEquals(-1, stream.read());
  }

  @Test
  void readingByteByByteAndInChunksGivesTheSameBytes() throws IOException {
    InputStream stream = EncodedMessage.MARSHALLER.stream(encoded);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(stream.read());
    byte[] chunk = new byte[7];
    int read;
    while ((read = stream.read(chunk, 0, chunk.length)) > 0) {
      out.write(chunk, 0, read);
    }
    assertArrayEquals(message.toByteArray(), out.toByteArray());
  }

  @Test
  void drainingAfterAPartialReadWritesTheRest() throws IOException {
    InputStream stream = EncodedMessage.MARSHALLER.stream(encoded);
    byte[] head = new byte[5];
    assertEquals(5, stream.read(head, 0, 5));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(head);

    ((Drainable) stream).drainTo(out);

    assertArrayEquals(message.toByteArray(), out.toByteArray());
  }

  @Test
  void parsedBackItIsTheSameMessage() throws IOException {
    EncodedMessage parsed =
        EncodedMessage.MARSHALLER.parse(new ByteArrayInputStream(message.toByteArray()));

    assertEquals(message, DiscoverResponse.parseFrom(parsed.bytes()));
    assertEquals(message.toByteString(), encoded.bytes());
  }
}
