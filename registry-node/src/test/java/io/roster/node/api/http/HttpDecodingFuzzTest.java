package io.roster.node.api.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.Message;
import io.roster.node.api.RequestOracle;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.ListServicesRequest;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz tests of the HTTP/JSON decoding ({@link ProtoJson} over {@link StrictJson}, {@link
 * QueryParameters} and {@link JsonFieldLocator}): any body or query string decodes to a request
 * message, or is refused with a {@link BadRequestException} (answered 400 INVALID_ARGUMENT) whose
 * message says what is wrong in at most {@value RequestOracle#MAX_MESSAGE_CHARS} characters; never
 * another exception, never a hang, whatever its size or depth up to the 1 MiB a body may have. A
 * decoded request then goes through the services' mapping, as the HTTP API hands it on ({@link
 * RequestOracle}).
 *
 * <p>{@code mvn verify} runs each target on its inputs under {@code
 * src/test/resources/io/roster/node/api/http/HttpDecodingFuzzTestInputs/}; docs/operations.md
 * ("Fuzzing") says how to fuzz one for real.
 */
@Timeout(10) // per input; also the fuzzer's hang limit
class HttpDecodingFuzzTest {

  /** The requests of the GET routes, whose query string is the request. */
  private static final List<Message> QUERY_TYPES =
      List.of(
          DiscoverRequest.getDefaultInstance(),
          ListServicesRequest.getDefaultInstance(),
          ClusterStatusRequest.getDefaultInstance());

  /**
   * A request body: the first byte picks the request type (the digit '0' to '7', in the order of
   * {@link RequestOracle#REQUEST_TYPES}; other bytes modulo 8), the rest is the body as sent.
   */
  @FuzzTest(maxDuration = "5m")
  void jsonBody(byte[] data) {
    if (data.length == 0) {
      return;
    }
    Message type = pick(RequestOracle.REQUEST_TYPES, data[0]);
    byte[] body = Arrays.copyOfRange(data, 1, data.length);
    assertDecodesOrIsRefused(type, () -> ProtoJson.fromBody(Buffer.buffer(body), type));
    // The locator runs on refused bodies only; any text must leave it with an answer too.
    assertNotNull(
        JsonFieldLocator.locate(
            new String(body, StandardCharsets.UTF_8), type.getDescriptorForType()));
  }

  /**
   * A query string as the HTTP decoder hands it over (one character per byte of the request line):
   * the first byte picks the route ('0' Discover, '1' ListServices, '2' ClusterStatus; other bytes
   * modulo 3), the rest is the query string.
   */
  @FuzzTest(maxDuration = "5m")
  void queryString(byte[] data) {
    if (data.length == 0) {
      return;
    }
    Message type = pick(QUERY_TYPES, data[0]);
    String query = new String(data, 1, data.length - 1, StandardCharsets.ISO_8859_1);
    assertDecodesOrIsRefused(type, () -> ProtoJson.fromQuery(query, type));
  }

  /**
   * Bodies of up to the 1 MiB limit with parts repeated many times: deep nesting, long strings,
   * many fields or elements, which the fuzzer's own inputs (a few kilobytes) never reach. The first
   * byte picks the request type (as for {@link #jsonBody}); the next six are the number of
   * repetitions (decimal digits; other bytes count modulo 10); the rest holds five parts separated
   * by NUL bytes: prefix, opening, middle, closing, suffix. The body is the prefix, the opening
   * repeated, the middle, the closing repeated as often, the suffix, cut at 1 MiB as the HTTP API
   * cuts it (a larger body is refused before it is decoded).
   */
  @FuzzTest(maxDuration = "5m")
  void repeatedJson(byte[] data) {
    if (data.length < 7) {
      return;
    }
    Message type = pick(RequestOracle.REQUEST_TYPES, data[0]);
    int times = 0;
    for (int i = 1; i <= 6; i++) {
      times = times * 10 + Math.floorMod(data[i] - '0', 10);
    }
    byte[][] parts = parts(Arrays.copyOfRange(data, 7, data.length), 5);
    Buffer body = Buffer.buffer().appendBytes(parts[0]);
    repeat(body, parts[1], times);
    body.appendBytes(parts[2]);
    repeat(body, parts[3], times);
    body.appendBytes(parts[4]);
    Buffer sent =
        body.length() > HttpApi.MAX_BODY_BYTES
            ? body.getBuffer(0, (int) HttpApi.MAX_BODY_BYTES)
            : body;
    assertDecodesOrIsRefused(type, () -> ProtoJson.fromBody(sent, type));
  }

  /** Appends {@code part} {@code times} times, or until the body passes the 1 MiB limit. */
  private static void repeat(Buffer body, byte[] part, int times) {
    for (int i = 0; i < times && part.length > 0 && body.length() <= HttpApi.MAX_BODY_BYTES; i++) {
      body.appendBytes(part);
    }
  }

  /** {@code bytes} split at its first {@code count - 1} NUL bytes; missing parts are empty. */
  private static byte[][] parts(byte[] bytes, int count) {
    byte[][] parts = new byte[count][];
    int from = 0;
    for (int i = 0; i < count; i++) {
      int to = from;
      while (i < count - 1 && to < bytes.length && bytes[to] != 0) {
        to++;
      }
      if (i == count - 1) {
        to = bytes.length;
      }
      parts[i] =
          Arrays.copyOfRange(bytes, Math.min(from, bytes.length), Math.min(to, bytes.length));
      from = to + 1;
    }
    return parts;
  }

  private interface Decoding {
    Message decode() throws BadRequestException;
  }

  private static void assertDecodesOrIsRefused(Message type, Decoding decoding) {
    Message decoded;
    try {
      decoded = decoding.decode();
    } catch (BadRequestException refused) {
      String message = refused.getMessage();
      assertNotNull(message, "a refusal without a message");
      assertFalse(message.isBlank(), "a refusal with a blank message");
      assertTrue(
          message.length() <= RequestOracle.MAX_MESSAGE_CHARS,
          () -> "a message of " + message.length() + " characters: " + message);
      return;
    }
    assertTrue(
        decoded.getDescriptorForType() == type.getDescriptorForType(),
        "decoded a " + decoded.getDescriptorForType().getFullName());
    RequestOracle.assertMapsOrNamesAField(decoded);
  }

  private static <T> T pick(List<T> types, byte first) {
    return types.get(Math.floorMod(first - '0', types.size()));
  }
}
