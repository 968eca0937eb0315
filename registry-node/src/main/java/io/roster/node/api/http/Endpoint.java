package io.roster.node.api.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * What one route does with a request whose body has been read (and kept under the limit), once
 * {@link HttpApi#serve} has authenticated its caller and charged its limits.
 */
public interface Endpoint {

  /** Answers {@code request}; runs on its event loop and must not block. */
  void serve(HttpServerRequest request, Buffer body);

  /** The RPC this route calls ("roster.v1.RegistryService/Register"), for its limits. */
  String rpc();
}
