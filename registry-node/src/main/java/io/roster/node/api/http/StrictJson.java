package io.roster.node.api.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor.JavaType;
import io.roster.node.domain.InstanceValidator;
import java.io.IOException;

/**
 * Checks that a request body is JSON as RFC 8259 and docs/api.md define it, before {@link
 * com.google.protobuf.util.JsonFormat} reads it. JsonFormat (on Gson's lenient reader) accepts
 * comments, single quotes, unquoted names, a second document or garbage after the first, duplicate
 * names (the last wins), a number or boolean for a string field, and decodes a lone surrogate
 * ({@code "\ud800"}) into {@code ?}; and the body was decoded with invalid UTF-8 replaced by
 * U+FFFD. Such values were stored changed and answered 200. Here they are refused, naming the
 * field.
 *
 * <p>A number given as a string ({@code "port": "80"}) stays accepted: the protobuf JSON mapping
 * allows it, and 64-bit integers are printed as strings.
 *
 * <p>Arrays and objects may nest {@value #MAX_DEPTH} deep at most. Jackson's own limit is 1,000: a
 * 2 KB body of nested arrays was refused with a message naming a path of 1,000 {@code [0]}s, after
 * as many nested calls here; names in messages are cut short for the same reason.
 *
 * <p>One instance per body; called on the request's event loop.
 */
final class StrictJson {

  /** Jackson's defaults are strict; duplicate names are refused on top. */
  private static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /**
   * Deepest nesting of arrays and objects read. The deepest request nests 3 (an instance's metadata
   * in a RegisterRequest: {@code {"instance": {"metadata": {...}}}}); anything deeper is not a
   * request, whatever its size.
   */
  static final int MAX_DEPTH = 8;

  /** Longest part of a message the JSON reader wrote (it may quote a whole name). */
  private static final int MAX_READER_MESSAGE_CHARS = 300;

  /** The field being read, for the message when the reader refuses what follows. */
  private String at = "";

  /** Arrays and objects open around the value being read. */
  private int depth;

  private final String what;

  private StrictJson(String what) {
    this.what = what;
  }

  /** Refuses {@code body} unless it is one strict JSON value whose strings suit {@code type}. */
  static void check(byte[] body, Descriptor type, String what) throws BadRequestException {
    StrictJson checker = new StrictJson(what);
    try (JsonParser parser = FACTORY.createParser(body)) {
      if (parser.nextToken() == null) {
        return;
      }
      if (parser.currentToken() == JsonToken.START_OBJECT) {
        checker.message(parser, type, "");
      } else {
        checker.single(parser, null, "");
      }
      checker.at = "";
      if (parser.nextToken() != null) {
        throw new BadRequestException(
            what + " is not one JSON value: more follows it at " + location(parser));
      }
    } catch (JsonProcessingException e) {
      throw new BadRequestException(
          what
              + " is not strict JSON (UTF-8, no comments, double-quoted names and strings, each"
              + " name once, nothing after the value): "
              + (checker.at.isEmpty() ? "" : checker.at + ": ")
              + BadRequestException.cut(e.getOriginalMessage(), MAX_READER_MESSAGE_CHARS)
              + " at "
              + location(e));
    } catch (IOException e) {
      throw new BadRequestException(
          what
              + " could not be read: "
              + BadRequestException.cut(e.getMessage(), MAX_READER_MESSAGE_CHARS));
    }
  }

  private void message(JsonParser parser, Descriptor type, String prefix)
      throws IOException, BadRequestException {
    enter(parser);
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      String path = prefix + BadRequestException.excerpt(name);
      at = path;
      text(name, path);
      FieldDescriptor field = type == null ? null : JsonFieldLocator.field(type, name);
      parser.nextToken();
      value(parser, field, path);
    }
    depth--;
  }

  /** Counts the array or object that starts at the current token; refuses one too deep. */
  private void enter(JsonParser parser) throws BadRequestException {
    if (++depth > MAX_DEPTH) {
      throw new BadRequestException(
          what
              + " nests arrays and objects more than "
              + MAX_DEPTH
              + " deep (at "
              + location(parser)
              + "): no request nests more than 3");
    }
  }

  private void value(JsonParser parser, FieldDescriptor field, String path)
      throws IOException, BadRequestException {
    JsonToken token = parser.currentToken();
    if (field != null && field.isMapField() && token == JsonToken.START_OBJECT) {
      enter(parser);
      FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        String entry = path + "[" + BadRequestException.excerpt(key) + "]";
        at = entry;
        text(key, entry);
        parser.nextToken();
        single(parser, valueField, entry);
      }
      depth--;
      return;
    }
    if (field != null && field.isRepeated() && token == JsonToken.START_ARRAY) {
      enter(parser);
      int index = 0;
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        String element = path + "[" + index++ + "]";
        at = element;
        single(parser, field, element);
      }
      depth--;
      return;
    }
    single(parser, field, path);
  }

  private void single(JsonParser parser, FieldDescriptor field, String path)
      throws IOException, BadRequestException {
    switch (parser.currentToken()) {
      case START_OBJECT ->
          message(
              parser,
              field != null && field.getJavaType() == JavaType.MESSAGE
                  ? field.getMessageType()
                  : null,
              path.isEmpty() ? "" : path + ".");
      case START_ARRAY -> {
        enter(parser);
        int index = 0;
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          String element = path + "[" + index++ + "]";
          at = element;
          single(parser, null, element);
        }
        depth--;
      }
      case VALUE_STRING -> {
        at = path;
        text(parser.getText(), path);
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE -> {
        if (field != null && field.getJavaType() == JavaType.STRING) {
          throw new BadRequestException(
              path
                  + ": must be a JSON string, got "
                  + BadRequestException.excerpt(parser.getText())
                  + " (quote it)");
        }
      }
      default -> {}
    }
  }

  /** Refuses text with a lone surrogate: it is not Unicode, and would be stored as '?'. */
  private static void text(String text, String path) throws BadRequestException {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new BadRequestException(
            path
                + ": holds a lone surrogate "
                + String.format("\\u%04x", (int) c)
                + " at character "
                + i
                + ", which is not Unicode text: "
                + InstanceValidator.quote(text));
      }
    }
  }

  private static String location(JsonParser parser) {
    return "line "
        + parser.currentLocation().getLineNr()
        + ", column "
        + parser.currentLocation().getColumnNr();
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null
        ? "an unknown place"
        : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
  }
}
