package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.v1.DiscoverRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz test of the Discover page token parser ({@link DiscoverPages.Token#parse}): a caller's token
 * is a Token or an {@code InvalidArgumentException} naming {@code page_token}, nothing else; and
 * every token the registry gives out parses back to what it was made of.
 *
 * <p>{@code mvn verify} runs it on its inputs under {@code
 * src/test/resources/io/roster/node/api/PageTokenFuzzTestInputs/}; docs/operations.md ("Fuzzing")
 * says how to fuzz it for real.
 */
@Timeout(10) // per input; also the fuzzer's hang limit
class PageTokenFuzzTest {

  /**
   * {@code data} as a token a caller sent (UTF-8, as protobuf and JSON strings are); as the text
   * inside one (base64-encoded here, so that the fuzzer reaches the fields behind the base64, which
   * it cannot see into); and, when it has 25 bytes or more, as a token's fields (incarnation,
   * revision and query hash, 8 bytes each, then the last instance id) made into a token and parsed
   * back.
   */
  @FuzzTest(maxDuration = "5m")
  void parse(byte[] data) {
    assertParsesOrIsRefused(new String(data, StandardCharsets.UTF_8));
    assertParsesOrIsRefused(Base64.getUrlEncoder().withoutPadding().encodeToString(data));

    if (data.length > 24) {
      ByteBuffer fields = ByteBuffer.wrap(data);
      String lastId = new String(Arrays.copyOfRange(data, 24, data.length), StandardCharsets.UTF_8);
      DiscoverPages.Token made =
          new DiscoverPages.Token(fields.getLong(), fields.getLong(), fields.getLong(), lastId);
      assertEquals(made, DiscoverPages.Token.parse(made.encode()), "encode, parse");
    }
  }

  private static void assertParsesOrIsRefused(String sent) {
    try {
      DiscoverPages.Token token = DiscoverPages.Token.parse(sent);
      assertFalse(token.lastId().isEmpty(), "a token without a last instance id: " + token);
      assertEquals(token, DiscoverPages.Token.parse(token.encode()), "parse, encode, parse");
    } catch (InvalidArgumentException refused) {
      assertEquals("page_token", refused.field(), refused.getMessage());
      RequestOracle.assertNamesAField(DiscoverRequest.getDescriptor(), refused);
    }
  }
}
