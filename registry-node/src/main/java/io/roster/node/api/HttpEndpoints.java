package io.roster.node.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.server.GrpcServer;

/**
 * Everything the API port answers: gRPC (and gRPC-Web) calls go to the gRPC server; {@code GET
 * /metrics} answers Prometheus text. One port to open, one to scrape.
 *
 * <p>Threading: runs on the Vert.x event loop of the connection.
 */
public final class HttpEndpoints implements Handler<HttpServerRequest> {

  private final GrpcServer grpc;
  private final PrometheusMeterRegistry meters;

  public HttpEndpoints(GrpcServer grpc, PrometheusMeterRegistry meters) {
    this.grpc = grpc;
    this.meters = meters;
  }

  @Override
  public void handle(HttpServerRequest request) {
    if (request.method() == HttpMethod.GET && "/metrics".equals(request.path())) {
      request
          .response()
          .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
          .end(meters.scrape());
      return;
    }
    grpc.handle(request);
  }
}
