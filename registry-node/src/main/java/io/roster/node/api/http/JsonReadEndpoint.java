package io.roster.node.api.http;

import io.grpc.Status;
import io.roster.node.api.GrpcErrors;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * A read-only route answering a JSON document built from its query parameters, for routes that are
 * not an RPC (the dashboard's). The parameters are decoded as strictly as the API's ({@link
 * QueryParameters}); an unknown one, or one given twice, is refused with 400 naming it. What the
 * answer builder throws is answered as the gRPC services' failures are ({@link GrpcErrors}: bad
 * input 400, a missing role 403, ...). Answers are never cached: they are live figures.
 *
 * <p>Immutable; called on the request's event loop, and answers there even when the document is
 * built on another thread.
 */
public final class JsonReadEndpoint implements Endpoint {

  /** Builds the answer from the query's parameters (each at most once); may throw on bad input. */
  @FunctionalInterface
  public interface Answer {
    CompletionStage<JsonObject> answer(Map<String, String> parameters);
  }

  private final String rpc;
  private final List<String> parameters;
  private final Answer answer;

  /**
   * @param rpc the RPC whose limits the route spends as ("roster.v1.DiscoveryService/Discover")
   * @param parameters the query parameters the route takes
   */
  public JsonReadEndpoint(String rpc, List<String> parameters, Answer answer) {
    this.rpc = rpc;
    this.parameters = List.copyOf(parameters);
    this.answer = answer;
  }

  @Override
  public String rpc() {
    return rpc;
  }

  @Override
  public void serve(HttpServerRequest request, Buffer body) {
    HttpServerResponse response = request.response();
    Map<String, String> given = new HashMap<>();
    try {
      for (Map.Entry<String, List<String>> parameter :
          QueryParameters.parse(request.query()).entrySet()) {
        String name = parameter.getKey();
        if (!parameters.contains(name)) {
          throw new BadRequestException(
              "unknown query parameter \""
                  + BadRequestException.excerpt(name)
                  + "\": "
                  + request.path()
                  + (parameters.isEmpty() ? " takes none" : " takes " + parameters));
        }
        if (parameter.getValue().size() > 1) {
          throw new BadRequestException("query parameter \"" + name + "\" is given more than once");
        }
        given.put(name, parameter.getValue().get(0));
      }
    } catch (BadRequestException e) {
      HttpErrors.refuse(response, 400, Status.Code.INVALID_ARGUMENT, e.getMessage());
      return;
    }
    Context context = Vertx.currentContext();
    CompletionStage<JsonObject> answered;
    try {
      answered = answer.answer(given);
    } catch (RuntimeException e) {
      HttpErrors.send(response, GrpcErrors.toStatus(request.path(), e));
      return;
    }
    answered.whenComplete(
        (json, failure) ->
            context.runOnContext(
                ignored -> {
                  if (response.ended() || response.closed()) {
                    return;
                  }
                  if (failure != null) {
                    HttpErrors.send(response, GrpcErrors.toStatus(request.path(), failure));
                    return;
                  }
                  response
                      .putHeader("content-type", "application/json")
                      .putHeader("cache-control", "no-store")
                      .end(json.encode());
                }));
  }
}
