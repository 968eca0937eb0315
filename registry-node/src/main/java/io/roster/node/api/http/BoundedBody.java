package io.roster.node.api.http;

import io.grpc.Status;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/**
 * Reads a request body of at most {@code maxBytes}, then hands it on. A larger body is refused with
 * 413 as soon as it is known to be too large (from its Content-Length, or once the bytes read pass
 * the limit), and its HTTP/1.1 connection is closed after the answer, so the node neither buffers
 * nor reads the rest of it.
 *
 * <p>Threading: one per request, used on the request's event loop only.
 */
final class BoundedBody {

  private final HttpServerRequest request;
  private final long maxBytes;
  private final Buffer body = Buffer.buffer();
  private boolean refused;

  private BoundedBody(HttpServerRequest request, long maxBytes) {
    this.request = request;
    this.maxBytes = maxBytes;
  }

  /** Calls {@code onBody} with the whole body once read, unless it is refused for its size. */
  static void read(HttpServerRequest request, long maxBytes, Handler<Buffer> onBody) {
    BoundedBody reader = new BoundedBody(request, maxBytes);
    String declared = request.getHeader("content-length");
    if (declared != null && declaredLength(declared) > maxBytes) {
      reader.refuse();
      return;
    }
    request.handler(reader::append);
    request.endHandler(
        ignored -> {
          if (!reader.refused) {
            onBody.handle(reader.body);
          }
        });
  }

  private void append(Buffer chunk) {
    if (refused) {
      return;
    }
    if (body.length() + (long) chunk.length() > maxBytes) {
      refuse();
      return;
    }
    body.appendBuffer(chunk);
  }

  private void refuse() {
    refused = true;
    boolean http1 = request.version() != HttpVersion.HTTP_2;
    if (http1) {
      // Whatever of the body is still on its way is not worth reading: close once answered.
      request.response().putHeader("connection", "close");
      request.response().endHandler(ignored -> request.connection().close());
    }
    HttpErrors.refuse(
        request.response(),
        413,
        Status.Code.RESOURCE_EXHAUSTED,
        "the request body is larger than " + maxBytes + " bytes");
  }

  private static long declaredLength(String header) {
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1; // Vert.x's HTTP codec refuses a malformed Content-Length before we see it.
    }
  }
}
