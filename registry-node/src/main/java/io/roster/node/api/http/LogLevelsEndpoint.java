package io.roster.node.api.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.grpc.Status;
import io.roster.node.access.Access;
import io.roster.node.access.Audit;
import io.roster.node.access.Principal;
import io.roster.node.access.Role;
import io.roster.node.logging.LogLevel;
import io.roster.node.logging.LogLevels;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * {@code /v1/admin/log-levels}: the levels of this node's loggers, read ({@code GET}) and changed
 * ({@code PUT {"logger": "io.roster.node.cluster", "level": "DEBUG"}}; a level of null or "" makes
 * the logger inherit its parent's again). For principals with the role admin in every namespace
 * ({@code *:admin}) only, reading too: the route is for operators, and no one else needs to know
 * what the node logs. While access control is off everyone is such a principal, as for every route.
 *
 * <p>Each change is written once, at INFO, to the audit trail ({@link Audit#logLevel}) before it
 * takes effect, so that a change that silences the audit logger still leaves its line. Changes hold
 * until the node restarts; {@code log.levels} sets levels from the start.
 *
 * <p>Immutable; called on the request's event loop. Setting a level is one call on a logback
 * logger.
 */
final class LogLevelsEndpoint implements Endpoint {

  static final String PATH = "/v1/admin/log-levels";

  /** The names the limits count these calls by ({@code CallKind}): a read, and a write. */
  static final String READ_RPC = "roster.admin/GetLogLevels";

  static final String CHANGE_RPC = "roster.admin/SetLogLevel";

  private static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final String BODY_SHAPE =
      "{\"logger\": \"io.roster.node.cluster\", \"level\": \"DEBUG\"} (level null or \"\" to"
          + " inherit the parent's)";

  private final LogLevels levels;
  private final boolean change;

  private LogLevelsEndpoint(LogLevels levels, boolean change) {
    this.levels = levels;
    this.change = change;
  }

  /** {@code GET}: every logger with a level of its own. */
  static LogLevelsEndpoint read(LogLevels levels) {
    return new LogLevelsEndpoint(levels, false);
  }

  /** {@code PUT}: one logger's level set or reset. */
  static LogLevelsEndpoint change(LogLevels levels) {
    return new LogLevelsEndpoint(levels, true);
  }

  @Override
  public String rpc() {
    return change ? CHANGE_RPC : READ_RPC;
  }

  @Override
  public void serve(HttpServerRequest request, Buffer body) {
    Principal principal = Access.current();
    if (!principal.may(Role.ADMIN, Principal.ANY_NAMESPACE)) {
      HttpErrors.refuse(
          request.response(),
          403,
          Status.Code.PERMISSION_DENIED,
          principal.name()
              + " may not "
              + (change ? "change" : "read")
              + " log levels: that needs the role admin in every namespace (*:admin)");
      return;
    }
    if (!change) {
      JsonArray loggers = new JsonArray();
      levels.configured().forEach(setting -> loggers.add(json(setting)));
      answer(request, new JsonObject().put("loggers", loggers));
      return;
    }
    LogLevels.Setting after;
    try {
      Change asked = Change.parse(body);
      levels.check(asked.logger(), asked.level());
      LogLevels.Setting before = levels.get(asked.logger());
      Audit.logLevel(principal, before.logger(), label(asked.level()), describe(before));
      after = levels.set(asked.logger(), asked.level());
    } catch (BadRequestException | IllegalArgumentException e) {
      HttpErrors.refuse(request.response(), 400, Status.Code.INVALID_ARGUMENT, e.getMessage());
      return;
    }
    answer(request, json(after));
  }

  private static void answer(HttpServerRequest request, JsonObject answer) {
    if (request.response().ended() || request.response().closed()) {
      return;
    }
    request.response().putHeader("content-type", "application/json").end(answer.encode() + "\n");
  }

  private static JsonObject json(LogLevels.Setting setting) {
    return new JsonObject()
        .put("logger", setting.logger())
        .put("level", setting.level() == null ? null : setting.level().name())
        .put("effectiveLevel", setting.effective().name());
  }

  private static String label(LogLevel level) {
    return level == null ? "inherited" : level.name();
  }

  /** "DEBUG", or "inherited (INFO)". */
  private static String describe(LogLevels.Setting setting) {
    return setting.level() != null
        ? setting.level().name()
        : "inherited (" + setting.effective().name() + ")";
  }

  /** A change asked for: a valid logger name, and a level or null. */
  record Change(String logger, LogLevel level) {

    static Change parse(Buffer body) throws BadRequestException {
      String logger = null;
      String levelName = null;
      try (JsonParser parser = FACTORY.createParser(body.getBytes())) {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
          throw new BadRequestException("the body must be a JSON object: " + BODY_SHAPE);
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          JsonToken value = parser.nextToken();
          switch (name) {
            case "logger" -> {
              if (value != JsonToken.VALUE_STRING) {
                throw new BadRequestException(
                    "logger: must be a string; the body is " + BODY_SHAPE);
              }
              logger = parser.getText();
            }
            case "level" -> {
              if (value != JsonToken.VALUE_STRING && value != JsonToken.VALUE_NULL) {
                throw new BadRequestException("level: must be a string or null");
              }
              levelName = value == JsonToken.VALUE_NULL ? null : parser.getText();
            }
            default ->
                throw new BadRequestException(
                    "unknown field \""
                        + BadRequestException.excerpt(name)
                        + "\": the body is "
                        + BODY_SHAPE);
          }
        }
        if (parser.nextToken() != null) {
          throw new BadRequestException("the body is not one JSON object: more follows it");
        }
      } catch (JsonProcessingException e) {
        throw new BadRequestException(
            "the body is not JSON ("
                + BadRequestException.cut(String.valueOf(e.getOriginalMessage()), 200)
                + "): "
                + BODY_SHAPE);
      } catch (IOException e) {
        throw new BadRequestException("the body cannot be read: " + e.getMessage());
      }
      if (logger == null) {
        throw new BadRequestException("logger: is required; the body is " + BODY_SHAPE);
      }
      String problem = LogLevels.problemWithName(logger);
      if (problem != null) {
        throw new BadRequestException(
            "logger \"" + BadRequestException.excerpt(logger) + "\" " + problem);
      }
      if (levelName == null || levelName.isEmpty()) {
        return new Change(logger, null);
      }
      LogLevel level = LogLevel.parse(levelName);
      if (level == null) {
        throw new BadRequestException(
            "level: unknown level \""
                + BadRequestException.excerpt(levelName)
                + "\"; levels are "
                + LogLevel.NAMES
                + " (any case), or null to inherit the parent's");
      }
      return new Change(logger, level);
    }
  }
}
