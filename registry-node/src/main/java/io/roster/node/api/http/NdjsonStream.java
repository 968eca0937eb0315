package io.roster.node.api.http;

import io.grpc.stub.ServerCallStreamObserver;
import io.roster.v1.WatchResponse;
import io.vertx.core.http.HttpServerResponse;

/**
 * A server stream written as newline-delimited JSON ({@code application/x-ndjson}): one
 * WatchResponse per line, in a chunked HTTP response that ends when the stream does (for Watch:
 * when the node leaves, so the caller resumes on another node from the last revision it read).
 *
 * <p>It is the {@link ServerCallStreamObserver} the gRPC Watch implementation writes to, so HTTP
 * callers get the very stream gRPC callers get, with the same flow control: the service writes only
 * while {@link #isReady} (the socket's write queue is not full) and resumes on drain, so a slow
 * HTTP caller costs the node one bounded queue, as a slow gRPC caller does.
 *
 * <p>An error before the first line (bad request, node leaving) is an ordinary JSON error answer;
 * once lines have gone out the HTTP status is sent and the stream can only end: the caller sees the
 * body end and resumes, as a gRPC caller does on UNAVAILABLE.
 *
 * <p>Threading: every method runs on the HTTP request's event loop: the service writes on the
 * context the call came from, Vert.x calls its handlers there, and OpenStreams ends streams there.
 */
final class NdjsonStream extends ServerCallStreamObserver<WatchResponse> {

  static final String MEDIA_TYPE = "application/x-ndjson";

  private final HttpServerResponse response;
  private Runnable onCancel = () -> {};
  private Runnable onClose = () -> {};
  private boolean over;
  private boolean cancelled;

  NdjsonStream(HttpServerResponse response) {
    this.response = response;
    response.closeHandler(ignored -> callerLeft());
  }

  /** Sends the status line and headers unless the call already failed: the stream is open. */
  void open() {
    if (over || response.headWritten()) {
      return;
    }
    response
        .setStatusCode(200)
        .setChunked(true)
        .putHeader("content-type", MEDIA_TYPE)
        // A proxy that buffers would hold changes back until its buffer fills.
        .putHeader("cache-control", "no-cache")
        .putHeader("x-accel-buffering", "no");
    response.writeHead();
  }

  @Override
  public void onNext(WatchResponse message) {
    if (over) {
      return;
    }
    open();
    response.write(ProtoJson.print(message));
  }

  @Override
  public void onError(Throwable failure) {
    if (over) {
      return;
    }
    over = true;
    if (response.headWritten()) {
      response.end();
    } else {
      HttpErrors.send(response, failure);
    }
    onClose.run();
  }

  @Override
  public void onCompleted() {
    if (over) {
      return;
    }
    over = true;
    open();
    response.end();
    onClose.run();
  }

  @Override
  public boolean isReady() {
    return !over && !response.writeQueueFull();
  }

  @Override
  public void setOnReadyHandler(Runnable onReady) {
    response.drainHandler(ignored -> onReady.run());
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public void setOnCancelHandler(Runnable onCancel) {
    this.onCancel = onCancel;
  }

  @Override
  public void setOnCloseHandler(Runnable onClose) {
    this.onClose = onClose;
  }

  @Override
  public void setCompression(String compression) {}

  @Override
  public void setMessageCompression(boolean enable) {}

  @Override
  public void request(int count) {}

  @Override
  public void disableAutoInboundFlowControl() {}

  /** The connection closed before the stream ended: the caller hung up. */
  private void callerLeft() {
    if (over) {
      return;
    }
    over = true;
    cancelled = true;
    onCancel.run();
    onClose.run();
  }
}
