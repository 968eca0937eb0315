package io.roster.node.api.http;

import io.grpc.Status;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/**
 * Reads a request body of at most {@code maxBytes}, then hands it on. A larger body is refused with
 * 413 as soon as it is known to be too large (from its Content-Length, or once the bytes read pass
 * the limit), and is never buffered.
 *
 * <p>On HTTP/1.1 the connection is then closed, but not at once: the rest of the body is read and
 * dropped first, up to {@value #LINGER_MAX_BYTES} bytes and {@value #LINGER_MAX_MILLIS} ms (a
 * lingering close, RFC 9112 section 9.6). Closed at once, a client that sends its whole body before
 * it reads the answer (the JDK's HttpClient does) got a broken pipe or a reset instead of the 413
 * saying what was wrong. Past either bound the connection is closed all the same.
 *
 * <p>Threading: one per request, used on the request's event loop only.
 */
final class BoundedBody {

  /** Most of a refused HTTP/1.1 body read and dropped before its connection is closed. */
  static final long LINGER_MAX_BYTES = 16L * 1024 * 1024;

  /** Longest a refused HTTP/1.1 body is read and dropped before its connection is closed. */
  static final long LINGER_MAX_MILLIS = 5_000;

  private final HttpServerRequest request;
  private final long maxBytes;
  private final Buffer body = Buffer.buffer();
  private boolean refused;

  /** Bytes of a refused body read and dropped. */
  private long dropped;

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
      request.response().putHeader("connection", "close");
      lingerThenClose();
    }
    HttpErrors.refuse(
        request.response(),
        413,
        Status.Code.RESOURCE_EXHAUSTED,
        "the request body is larger than " + maxBytes + " bytes");
  }

  /**
   * Drops the rest of the body as it comes, and closes the connection once the answer is written
   * and the body has ended, or the bounds are passed.
   */
  private void lingerThenClose() {
    Vertx vertx = Vertx.currentContext().owner();
    Promise<Void> bodyDone = Promise.promise();
    Promise<Void> answered = Promise.promise();
    long timer = vertx.setTimer(LINGER_MAX_MILLIS, ignored -> bodyDone.tryComplete());
    request.handler(
        chunk -> {
          dropped += chunk.length();
          if (dropped > LINGER_MAX_BYTES) {
            bodyDone.tryComplete();
          }
        });
    request.endHandler(ignored -> bodyDone.tryComplete());
    // The body's end: the response's end handler is ServedCall's (a response has one).
    request.response().bodyEndHandler(ignored -> answered.tryComplete());
    Future.all(bodyDone.future(), answered.future())
        .onComplete(
            ignored -> {
              vertx.cancelTimer(timer);
              request.connection().close();
            });
  }

  private static long declaredLength(String header) {
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1; // Vert.x's HTTP codec refuses a malformed Content-Length before we see it.
    }
  }
}
