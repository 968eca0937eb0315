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
          what + " is not a JSON " + type.getFullName() + ": " + where + e.getMessage());
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
    for (Map.Entry<String, List<String>> parameter : QueryParameters.parse(rawQuery).entrySet()) {
      String name = parameter.getKey();
      if (parameter.getValue().size() > 1) {
        throw new BadRequestException("query parameter \"" + name + "\" is given more than once");
      }
      String value = parameter.getValue().get(0);
      int dot = name.indexOf('.');
      FieldDescriptor field = field(type, dot < 0 ? name : name.substring(0, dot));
      if (dot > 0 && !field.isMapField()) {
        throw new BadRequestException(
            "query parameter \"" + name + "\": " + field.getName() + " is not a map field");
      } else if (dot > 0) {
        JsonObject map = json.getJsonObject(field.getName(), new JsonObject());
        json.put(field.getName(), map.put(name.substring(dot + 1), value));
      } else if (field.isMapField()) {
        throw new BadRequestException(
            "query parameter \""
                + name
                + "\" needs a key: give one per entry, as "
                + name
                + ".KEY=VALUE");
      } else if (field.isRepeated() || field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        throw new BadRequestException(
            "query parameter \""
                + name
                + "\" cannot set "
                + field.getName()
                + ": send the request as a JSON body with POST");
      } else {
        json.put(field.getName(), value);
      }
    }
    return parse(json.encode(), prototype, "the query string");
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
            + name
            + "\" for "
            + type.getFullName()
            + "; its fields are "
            + type.getFields().stream()
                .map(FieldDescriptor::getName)
                .collect(Collectors.joining(", ")));
  }
}
