package io.roster.node.api.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request's query string, decoded strictly as {@code application/x-www-form-urlencoded}: {@code
 * &} separates parameters, the first {@code =} a name from its value, {@code +} is a space, {@code
 * %XX} one byte, and the bytes of every name and value must be UTF-8.
 *
 * <p>Why not Vert.x's {@code request.params()} (Netty's {@code QueryStringDecoder}): it decodes
 * bytes that are not UTF-8 to U+FFFD, so {@code service=a%ff} reached the services as a character
 * the caller never sent (and a lone surrogate, {@code %ed%a0%80}, the same), while a JSON body with
 * such bytes is refused; and it throws on a broken escape ({@code %zz}), which was answered 500
 * INTERNAL with a stack trace in the log. Here each is a {@link BadRequestException} naming the
 * parameter, answered 400 like every other malformed request.
 *
 * <p>Stateless; called on the request's event loop.
 */
final class QueryParameters {

  private QueryParameters() {}

  /**
   * Every parameter of {@code rawQuery} (as sent, still percent-encoded; null or empty: none), by
   * name in the order given, with its values in the order given.
   */
  static Map<String, List<String>> parse(String rawQuery) throws BadRequestException {
    Map<String, List<String>> parameters = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return parameters;
    }
    for (String part : rawQuery.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int equals = part.indexOf('=');
      String rawName = equals < 0 ? part : part.substring(0, equals);
      String rawValue = equals < 0 ? "" : part.substring(equals + 1);
      String name = decode(rawName, BadRequestException.excerpt(rawName), "name");
      String value = decode(rawValue, BadRequestException.excerpt(name), "value");
      parameters.computeIfAbsent(name, ignored -> new ArrayList<>()).add(value);
    }
    return parameters;
  }

  /**
   * {@code encoded} percent- and plus-decoded, as UTF-8; errors name {@code parameter} (as shown:
   * cut short).
   */
  private static String decode(String encoded, String parameter, String what)
      throws BadRequestException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        int high = i + 1 < encoded.length() ? Character.digit(encoded.charAt(i + 1), 16) : -1;
        int low = i + 2 < encoded.length() ? Character.digit(encoded.charAt(i + 2), 16) : -1;
        if (high < 0 || low < 0) {
          throw new BadRequestException(
              "query parameter \""
                  + parameter
                  + "\": \""
                  + encoded.substring(i, Math.min(i + 3, encoded.length()))
                  + "\" is not a percent-encoded byte (%XX, two hex digits): encode '%' as %25");
        }
        bytes.write(high << 4 | low);
        i += 2;
      } else if (c == '+') {
        bytes.write(' ');
      } else if (c <= 0xff) {
        // The request line's bytes, as the HTTP decoder hands them over (one char per byte).
        bytes.write(c);
      } else {
        bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    return utf8(bytes.toByteArray(), parameter, what);
  }

  private static String utf8(byte[] bytes, String parameter, String what)
      throws BadRequestException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      throw new BadRequestException(
          "query parameter \""
              + parameter
              + "\": byte 0x"
              + String.format("%02x", bytes[in.position()] & 0xff)
              + " at "
              + in.position()
              + " of its "
              + what
              + " is not UTF-8 (percent-encoded): send text as percent-encoded UTF-8");
    }
    return out.flip().toString();
  }
}
