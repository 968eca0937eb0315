package io.roster.node.api;

import io.grpc.Status;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.List;

/**
 * The content types the gRPC server serves, and the answer to a gRPC request sent with another: a
 * status saying which ones are served, before any of the body is read.
 *
 * <p>Served: protobuf messages, over gRPC ({@code application/grpc}, {@code
 * application/grpc+proto}; HTTP/2 only, as gRPC is) and gRPC-Web ({@code application/grpc-web},
 * {@code application/grpc-web-text}, each also with {@code +proto}; any HTTP version).
 *
 * <p>Not served: the JSON wire format ({@code +json}). Vert.x's gRPC server (5.0.7) accepts it and
 * parses each message itself, before {@link CallGuard} sees it: a malformed one was logged as an
 * unhandled exception with its stack trace and answered INTERNAL "Half-closed without a request",
 * and a well-formed one was parsed leniently (comments, single quotes, duplicate names), unlike the
 * strict JSON the HTTP/JSON API promises. grpc-java's and grpc-go's own servers have no JSON codec
 * either, so no gRPC client expects one; JSON callers have the HTTP/JSON API under {@code /v1/},
 * with one set of JSON rules.
 *
 * <p>Answered with UNIMPLEMENTED, as the gRPC spec answers a message compression the server does
 * not support, trailers only with HTTP 200, so that gRPC and gRPC-Web clients show the message
 * (Vert.x answered these with a bare HTTP 415, which clients report as an unknown error).
 *
 * <p>Stateless; called on the request's event loop.
 */
final class GrpcContentTypes {

  private static final List<String> GRPC = List.of("application/grpc", "application/grpc+proto");

  private static final List<String> GRPC_WEB =
      List.of(
          "application/grpc-web",
          "application/grpc-web+proto",
          "application/grpc-web-text",
          "application/grpc-web-text+proto");

  private static final String SERVED =
      "this node serves gRPC with protobuf messages as "
          + String.join(" or ", GRPC)
          + " (HTTP/2), and gRPC-Web as "
          + String.join(", ", GRPC_WEB)
          + "; for JSON, use the HTTP/JSON API under /v1/ (docs/api.md)";

  private GrpcContentTypes() {}

  /**
   * The refusal of a gRPC request (its content type starts with {@code application/grpc}) that is
   * not served, or null when it is. Content types are compared as Vert.x's gRPC server compares
   * them: whole and case-sensitive, without parameters.
   */
  static Status refusal(HttpServerRequest request) {
    String contentType = request.getHeader("content-type");
    if (GRPC_WEB.contains(contentType)) {
      return null;
    }
    if (GRPC.contains(contentType)) {
      return request.version() == HttpVersion.HTTP_2
          ? null
          : Status.UNIMPLEMENTED.withDescription(
              "content type "
                  + contentType
                  + " needs HTTP/2, this request is "
                  + request.version()
                  + ": "
                  + SERVED);
    }
    return Status.UNIMPLEMENTED.withDescription(
        "content type " + contentType + " is not served: " + SERVED);
  }
}
