package io.roster.node.api;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;
import java.util.Base64;

/**
 * Checks the framing of a gRPC request's body before the gRPC server reads it, and answers what it
 * cannot serve with a status and a message at once.
 *
 * <p>Vert.x's gRPC server (5.0.7) left such requests unanswered, their streams held: a message
 * flagged compressed in a request without {@code grpc-encoding} throws inside its deframer ("Handle
 * me"), again at every read and at the end, so the call never starts nor ends; an {@code
 * application/grpc-web-text} body that is not base64 does the same in the text deframer. A message
 * over the size limit was answered RESOURCE_EXHAUSTED without a message, and the bridged call then
 * tried to answer again ("Trailers already sent" in the log).
 *
 * <p>Checked here: every message's 5-byte prefix (HTTP/2 gRPC and binary gRPC-Web): the compressed
 * flag needs a {@code grpc-encoding} other than {@code identity} (INTERNAL, as grpc-java answers
 * it), and the length must be within {@link #MAX_MESSAGE_BYTES} (RESOURCE_EXHAUSTED); a
 * gRPC-Web-text body must be base64 (INVALID_ARGUMENT). The first violation is answered, trailers
 * only, and the rest of the body is dropped: the gRPC server never sees the chunk that broke the
 * rule nor anything after it, nor the end of the request.
 *
 * <p>Threading: Vert.x calls the handlers on the request's event loop, one at a time.
 */
final class GrpcFrameCheck extends HttpServerRequestWrapper {

  /**
   * The largest request message, on every API: gRPC, gRPC-Web, and the HTTP/JSON body ({@code
   * api/http/BoundedBody}). One rule, so a request that fits one API fits the others. Discover
   * answers are not bound by it.
   */
  static final int MAX_MESSAGE_BYTES = 1024 * 1024;

  /** The HTTP/2 error code CANCEL, which the gRPC server reads as a cancelled call. */
  private static final long HTTP2_CANCEL = 0x8;

  private final Runnable onRefused;
  private final boolean webText;
  private final boolean encoded;
  private Handler<Buffer> downstream;
  private Handler<Void> downstreamEnd;
  private Handler<Throwable> downstreamException;
  private boolean failed;

  // The message prefix being read, and how much of the current message is left to pass.
  private final byte[] prefix = new byte[5];
  private int prefixRead;
  private long payloadLeft;

  private GrpcFrameCheck(HttpServerRequestInternal request, Runnable onRefused) {
    super(request);
    this.onRefused = onRefused;
    String contentType = request.getHeader("content-type");
    this.webText =
        contentType != null
            && contentType.regionMatches(true, 0, "application/grpc-web-text", 0, 25);
    String encoding = request.getHeader("grpc-encoding");
    this.encoded = encoding != null && !encoding.equalsIgnoreCase("identity");
  }

  /**
   * The request as the gRPC server should see it (every request Vert.x's HTTP server hands over is
   * an {@link HttpServerRequestInternal}). {@code onRefused} runs once a request is refused, or its
   * deadline passed, and it is answered here: the call the gRPC server started for it is never
   * told, and must be ended by the caller (a KeepAlive already open, for one).
   */
  static GrpcFrameCheck wrap(HttpServerRequest request, Runnable onRefused) {
    return new GrpcFrameCheck((HttpServerRequestInternal) request, onRefused);
  }

  @Override
  public HttpServerRequest handler(Handler<Buffer> handler) {
    downstream = handler;
    delegate.handler(handler == null ? null : this::check);
    return this;
  }

  @Override
  public HttpServerRequest endHandler(Handler<Void> handler) {
    downstreamEnd = handler;
    delegate.endHandler(
        handler == null
            ? null
            : ended -> {
              if (!failed) {
                downstreamEnd.handle(ended);
              }
            });
    return this;
  }

  @Override
  public HttpServerRequest exceptionHandler(Handler<Throwable> handler) {
    downstreamException = handler;
    delegate.exceptionHandler(handler);
    return this;
  }

  private void check(Buffer chunk) {
    if (failed) {
      return;
    }
    Status violation = webText ? checkBase64(chunk) : checkFrames(chunk);
    if (violation != null) {
      fail(violation);
      return;
    }
    downstream.handle(chunk);
  }

  private Status checkFrames(Buffer chunk) {
    int position = 0;
    int length = chunk.length();
    while (position < length) {
      if (payloadLeft > 0) {
        int skipped = (int) Math.min(payloadLeft, length - position);
        payloadLeft -= skipped;
        position += skipped;
        continue;
      }
      prefix[prefixRead++] = chunk.getByte(position++);
      if (prefixRead < prefix.length) {
        continue;
      }
      prefixRead = 0;
      boolean compressed = (prefix[0] & 1) != 0;
      long messageBytes =
          ((prefix[1] & 0xffL) << 24)
              | ((prefix[2] & 0xffL) << 16)
              | ((prefix[3] & 0xffL) << 8)
              | (prefix[4] & 0xffL);
      if (compressed && !encoded) {
        return Status.INTERNAL.withDescription(
            "a request message is flagged compressed but the request has no grpc-encoding"
                + " header: name the compression in grpc-encoding, or send the message"
                + " uncompressed");
      }
      if (messageBytes > MAX_MESSAGE_BYTES) {
        return Status.RESOURCE_EXHAUSTED.withDescription(
            "the request message is "
                + messageBytes
                + " bytes, over the limit of "
                + MAX_MESSAGE_BYTES
                + " bytes (1 MiB) per message");
      }
      payloadLeft = messageBytes;
    }
    return null;
  }

  private static Status checkBase64(Buffer chunk) {
    for (int i = 0; i < chunk.length(); i++) {
      byte b = chunk.getByte(i);
      boolean base64 =
          (b >= 'A' && b <= 'Z')
              || (b >= 'a' && b <= 'z')
              || (b >= '0' && b <= '9')
              || b == '+'
              || b == '/'
              || b == '='
              || b == '\r'
              || b == '\n';
      if (!base64) {
        return Status.INVALID_ARGUMENT.withDescription(
            "the application/grpc-web-text body is not base64 (byte "
                + i
                + " of a chunk is 0x"
                + Integer.toHexString(b & 0xff)
                + "): encode each message, prefix included, in base64");
      }
    }
    return null;
  }

  /** Answers {@code status}, trailers only, and drops the rest of the request. */
  private void fail(Status status) {
    failed = true;
    refuse(delegate, status);
    releaseCall();
  }

  /**
   * The caller's deadline passed before the call was answered ({@link CallDeadline}): answers
   * DEADLINE_EXCEEDED, as the gRPC server would have, and drops the rest of the request.
   */
  void deadlinePassed(long deadlineMillis) {
    if (failed || delegate.response().ended()) {
      return;
    }
    failed = true;
    answer(
        delegate,
        Status.DEADLINE_EXCEEDED.withDescription(
            "the call's deadline (" + deadlineMillis + " ms) passed before the node answered"),
        null);
    releaseCall();
  }

  private void releaseCall() {
    // The gRPC server still holds the call it started: told the stream was cancelled, it lets go.
    // Otherwise it would answer again later on the response answered here, which throws.
    if (downstreamException != null) {
      downstreamException.handle(new StreamResetException(HTTP2_CANCEL));
    }
    onRefused.run();
  }

  /** Refuses a gRPC request before the gRPC server answers it: one log line, then the status. */
  static void refuse(HttpServerRequest request, Status status) {
    RequestLog.refused("gRPC request", request.path() + ": " + status.getDescription());
    answer(request, status, null);
  }

  /** The binary trailer of {@code google.rpc.Status} details (a retry delay, say). */
  private static final Metadata.Key<byte[]> STATUS_DETAILS =
      Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);

  /** As {@link #refuse(HttpServerRequest, Status)}, with the refusal's status details if any. */
  static void refuse(HttpServerRequest request, StatusRuntimeException refusal) {
    Status status = refusal.getStatus();
    RequestLog.refused("gRPC request", request.path() + ": " + status.getDescription());
    Metadata trailers = refusal.getTrailers();
    answer(request, status, trailers == null ? null : trailers.get(STATUS_DETAILS));
  }

  /**
   * Ends the call with {@code status}: trailers only when nothing was answered yet; as trailers
   * after the answers so far on HTTP/2 (a KeepAlive stream that had answered earlier messages); by
   * a reset otherwise (gRPC-Web over HTTP/1.1 sends trailers in the body, which Vert.x's gRPC
   * server is writing).
   */
  private static void answer(HttpServerRequest request, Status status, byte[] details) {
    HttpServerResponse response = request.response();
    if (response.ended()) {
      return;
    }
    String code = Integer.toString(status.getCode().value());
    String message = CallGuard.encodeMessage(status.getDescription());
    if (!response.headWritten()) {
      String contentType = request.getHeader("content-type");
      response
          .setStatusCode(200)
          .putHeader("content-type", contentType == null ? "application/grpc" : contentType)
          .putHeader("grpc-status", code)
          .putHeader("grpc-message", message);
      if (details != null) {
        // Binary metadata is base64 on the wire (gRPC over HTTP/2, "Custom-Metadata").
        response.putHeader(
            STATUS_DETAILS.name(), Base64.getEncoder().withoutPadding().encodeToString(details));
      }
      response.end();
    } else if (request.version() == HttpVersion.HTTP_2) {
      response.putTrailer("grpc-status", code).putTrailer("grpc-message", message).end();
    } else {
      response.reset();
    }
  }
}
