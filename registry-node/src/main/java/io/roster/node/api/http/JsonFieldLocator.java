package io.roster.node.api.http;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Finds the field a refused JSON request went wrong at ({@code instance.port}), since JsonFormat's
 * messages say what was wrong ({@code Not an uint32 value: "eighty"}) but not where. It parses each
 * field alone and descends into the first one that fails. Runs only for a request already refused,
 * so its cost (a few parses of a body of at most 1 MiB) is paid by the bad request alone.
 *
 * <p>Stateless.
 */
final class JsonFieldLocator {

  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private JsonFieldLocator() {}

  /** The path of the first field of {@code json} that {@code type} refuses, if one is to blame. */
  static Optional<String> locate(String json, Descriptor type) {
    Object tree;
    try {
      tree = Json.decodeValue(json);
    } catch (DecodeException notJsonAtAll) {
      return Optional.empty(); // JsonFormat's message says where the syntax broke.
    }
    return tree instanceof JsonObject object ? locate(object, type, "") : Optional.empty();
  }

  private static Optional<String> locate(JsonObject object, Descriptor type, String prefix) {
    for (String key : object.fieldNames()) {
      Object value = object.getValue(key);
      if (parses(new JsonObject().put(key, value), type)) {
        continue;
      }
      String path = prefix + BadRequestException.excerpt(key);
      FieldDescriptor field = field(type, key);
      if (field == null
          || field.getJavaType() != FieldDescriptor.JavaType.MESSAGE
          || field.isMapField()) {
        return Optional.of(path);
      }
      Descriptor inner = field.getMessageType();
      if (value instanceof JsonObject nested) {
        return locate(nested, inner, path + ".").or(() -> Optional.of(path));
      }
      if (value instanceof JsonArray elements) {
        for (int i = 0; i < elements.size(); i++) {
          if (elements.getValue(i) instanceof JsonObject element && !parses(element, inner)) {
            String at = path + "[" + i + "]";
            return locate(element, inner, at + ".").or(() -> Optional.of(at));
          }
        }
      }
      return Optional.of(path);
    }
    return Optional.empty();
  }

  private static boolean parses(JsonObject json, Descriptor type) {
    try {
      PARSER.merge(json.encode(), DynamicMessage.newBuilder(type));
      return true;
    } catch (InvalidProtocolBufferException | RuntimeException refused) {
      return false;
    }
  }

  /** The field called {@code name} (proto or JSON name), or null. */
  static FieldDescriptor field(Descriptor type, String name) {
    FieldDescriptor field = type.findFieldByName(name);
    if (field != null) {
      return field;
    }
    for (FieldDescriptor candidate : type.getFields()) {
      if (candidate.getJsonName().equals(name)) {
        return candidate;
      }
    }
    return null;
  }
}
