package io.roster.node.api.http;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The canonical protobuf JSON mapping ({@link JsonFormat}) for request bodies, query strings and
 * answers. Answers print every field, defaults included, on one line, exactly as the {@code roster}
 * CLI prints them, so a caller sees {@code "revision": "0"} rather than a missing key.
 *
 * <p>Stateless; the parser and printers are immutable and shared by every event loop.
 */
final class ProtoJson {

  /**
   * Unknown fields are refused rather than ignored: a misspelt {@code "serivce"} would otherwise
   * register nothing and answer with an unrelated "service is required".
   */
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();

  /** Longest part of a message JsonFormat wrote: it quotes whole values ("Not an int32 value"). */
  private static final int MAX_PARSER_MESSAGE_CHARS = 300;

  private ProtoJson() {}

  /**
   * Parses a request body; an empty body is the empty message (every field at its default). The
   * body must be strict JSON ({@link StrictJson}) in UTF-8: JsonFormat alone is lenient.
   */
  static <T extends Message> T fromBody(Buffer body, T prototype) throws BadRequestException {
    byte[] bytes = body.getBytes();
    StrictJson.check(bytes, prototype.getDescriptorForType(), "the body");
    return parse(new String(bytes, StandardCharsets.UTF_8), prototype, "the body");
  }

  @SuppressWarnings("unchecked") // newBuilderForType().build() has the prototype's type.
  private static <T extends Message> T parse(String text, T prototype, String what)
      throws BadRequestException {
    if (text.isBlank()) {
      return prototype;
    }
    Message.Builder builder = prototype.newBuilderForType();
    try {
      PARSER.merge(text, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // JsonFormat throws IllegalArgumentException and friends for some malformed input too.
      Descriptor type = prototype.getDescriptorForType();
      String where = JsonFieldLocator.locate(text, type).map(path -> path + ": ").orElse("");
      throw new BadRequestException(
          what
              + " is not a JSON "
              + type.getFullName()
              + ": "
              + where
              + BadRequestException.cut(String.valueOf(e.getMessage()), MAX_PARSER_MESSAGE_CHARS));
    }
    return (T) builder.build();
  }

  /**
   * Parses a query string into a request: each parameter names a field by its proto or JSON name
   * ({@code include_unhealthy=true} or {@code includeUnhealthy=true}); a map field takes one
   * parameter per entry ({@code metadata_selector.team=payments}). {@code rawQuery} is the query
   * string as sent: it must be percent-encoded UTF-8 ({@link QueryParameters}). Values go through
   * the same JSON parser as bodies, so {@code page_size=abc} is refused with the parser's message.
   */
  static <T extends Message> T fromQuery(String rawQuery, T prototype) throws BadRequestException {
    Descriptor type = prototype.getDescriptorForType();
    JsonObject json = new JsonObject();
    // Field (or "map_field.key") → the parameter that set it.
    Map<String, String> given = new HashMap<>();
    for (Map.Entry<String, List<String>> parameter : QueryParameters.parse(rawQuery).entrySet()) {
      String name = parameter.getKey();
      String shown = BadRequestException.excerpt(name);
      if (parameter.getValue().size() > 1) {
        throw new BadRequestException("query parameter \"" + shown + "\" is given more than once");
      }
      String value = parameter.getValue().get(0);
      int dot = name.indexOf('.');
      FieldDescriptor field = field(type, dot < 0 ? name : name.substring(0, dot));
      if (dot > 0 && !field.isMapField()) {
        throw new BadRequestException(
            "query parameter \"" + shown + "\": " + field.getName() + " is not a map field");
      } else if (dot > 0) {
        String key = name.substring(dot + 1);
        once(given, field.getName() + "." + key, name);
        JsonObject map = json.getJsonObject(field.getName(), new JsonObject());
        json.put(field.getName(), map.put(key, value));
      } else if (field.isMapField()) {
        throw new BadRequestException(
            "query parameter \""
                + shown
                + "\" needs a key: give one per entry, as "
                + shown
                + ".KEY=VALUE");
      } else if (field.isRepeated() || field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        throw new BadRequestException(
            "query parameter \""
                + shown
                + "\" cannot set "
                + field.getName()
                + ": send the request as a JSON body with POST");
      } else {
        once(given, field.getName(), name);
        json.put(field.getName(), value);
      }
    }
    return parse(json.encode(), prototype, "the query string");
  }

  /**
   * Refuses a second parameter for one field (or map entry): {@code include_unhealthy} and {@code
   * includeUnhealthy} name the same field, and the last one given silently won, where a JSON body
   * naming a field twice is refused.
   */
  private static void once(Map<String, String> given, String target, String parameter)
      throws BadRequestException {
    String earlier = given.putIfAbsent(target, parameter);
    if (earlier != null) {
      throw new BadRequestException(
          "query parameters \""
              + BadRequestException.excerpt(earlier)
              + "\" and \""
              + BadRequestException.excerpt(parameter)
              + "\" both set "
              + BadRequestException.excerpt(target)
              + ": give it once");
    }
  }

  /** One answer: a JSON object on one line, ending with a newline. */
  static String print(MessageOrBuilder message) {
    try {
      return PRINTER.print(message) + "\n";
    } catch (InvalidProtocolBufferException e) {
      // Only a google.protobuf.Any without a type registry fails to print; the API has none.
      throw new IllegalStateException("cannot print " + message.getClass().getName(), e);
    }
  }

  private static FieldDescriptor field(Descriptor type, String name) throws BadRequestException {
    FieldDescriptor field = JsonFieldLocator.field(type, name);
    if (field != null) {
      return field;
    }
    throw new BadRequestException(
        "unknown query parameter \""
            + BadRequestException.excerpt(name)
            + "\" for "
            + type.getFullName()
            + "; its fields are "
            + type.getFields().stream()
                .map(FieldDescriptor::getName)
                .collect(Collectors.joining(", ")));
  }
}
