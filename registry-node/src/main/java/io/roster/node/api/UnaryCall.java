package io.roster.node.api;

import com.google.protobuf.MessageLite;
import io.grpc.Context;
import io.grpc.Decompressor;
import io.grpc.DecompressorRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.netty.buffer.Unpooled;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.Map;

/**
 * One unary call of a grpc-java service, served directly on Vert.x's gRPC server: the request's
 * bytes go to the method's {@link ServerCallHandler} (already wrapped in {@link CallGuard}, which
 * parses them) and its one answer is written to the Vert.x response as bytes.
 *
 * <p>Why not the Vert.x bridge for grpc-java services ({@code GrpcIoServiceBridge}), which serves
 * every other method: for unary calls it costs more than the call. Per call it builds a read and a
 * write adapter with their queues, a grpc-java {@code Context} with a deadline timer, converts
 * every header to {@code Metadata}, resolves the peer's addresses ({@code InetAddress.getByName},
 * twice), and copies each answer several times (a growing {@code ByteArrayOutputStream}, its array,
 * a {@code Buffer} of it, then the framed message). Here: the request handler chain of grpc-java
 * (ServerCalls, the guard, the token interceptor, the service) is the same, the answer is encoded
 * once (a kept Discover answer not at all: {@link EncodedMessage#buffer}) and framed once by
 * Vert.x. docs/benchmarks.md, "Serving paths", has the figures.
 *
 * <p>What a call sees is what the bridge gave it: the {@code Context} current when the request
 * arrived ({@link HttpEndpoints} puts {@link ClientGone} there), the request headers as {@code
 * Metadata}, one message then half-close, {@code onCancel} when the client resets the stream or
 * goes away, and an answer dropped once the call is over. Request messages compressed with an
 * encoding grpc-java knows (gzip) are decompressed, within {@link
 * GrpcFrameCheck#MAX_MESSAGE_BYTES}; another encoding is answered UNIMPLEMENTED. The caller's
 * deadline is kept before the call starts, for every gRPC request ({@link CallDeadline}): when it
 * passes first, the call hears of it as a cancel. Transport attributes (peer address, TLS session)
 * are empty: no service reads them.
 *
 * <p>Threading: created and driven on the event loop of the request's connection; the service may
 * answer from another thread only through {@code Replies}, which hands the answer back to that
 * event loop. Fields are therefore only touched on that event loop.
 */
final class UnaryCall<R> extends ServerCall<Object, R> {

  private final GrpcServerRequest<Buffer, Buffer> request;
  private final MethodDescriptor<Object, R> method;
  private final Context context;
  private final ClientGone gone;
  private ServerCall.Listener<Object> listener;
  private Buffer answer;
  private boolean closeCalled;
  private boolean over;

  private UnaryCall(GrpcServerRequest<Buffer, Buffer> request, MethodDescriptor<Object, R> method) {
    this.request = request;
    this.method = method;
    this.context = Context.current();
    this.gone = ClientGone.current();
  }

  /**
   * Starts a call of {@code method} on {@code request}: called by Vert.x's gRPC server on the
   * request's event loop, inside {@link HttpEndpoints}' {@code Context}.
   */
  static <R> void start(
      GrpcServerRequest<Buffer, Buffer> request,
      MethodDescriptor<Object, R> method,
      ServerCallHandler<Object, R> handler) {
    UnaryCall<R> call = new UnaryCall<>(request, method);
    call.listen(handler);
  }

  private void listen(ServerCallHandler<Object, R> handler) {
    request.errorHandler(error -> cancelled());
    gone.whenGone(this::cancelled);
    Context previous = context.attach();
    try {
      listener = handler.startCall(this, metadata(request.headers()));
    } finally {
      context.detach(previous);
    }
    request.messageHandler(this::message);
    request.endHandler(ended -> halfClosed());
  }

  private void message(GrpcMessage message) {
    if (over) {
      return;
    }
    byte[] bytes;
    try {
      bytes = decompressed(message);
    } catch (StatusRefusal refusal) {
      refuse(refusal.status);
      return;
    }
    Context previous = context.attach();
    try {
      listener.onMessage(bytes);
    } finally {
      context.detach(previous);
    }
  }

  private void halfClosed() {
    if (over) {
      return;
    }
    Context previous = context.attach();
    try {
      listener.onHalfClose();
    } finally {
      context.detach(previous);
    }
  }

  /** The client reset the stream or went away: the call is over, nobody is left to answer. */
  private void cancelled() {
    if (over) {
      return;
    }
    over = true;
    Context previous = context.attach();
    try {
      listener.onCancel();
    } finally {
      context.detach(previous);
    }
  }

  /**
   * Answers {@code status} for a request the service never saw, and tells the service the call is
   * over first (as {@link CallGuard} does with a request that does not parse).
   */
  private void refuse(Status status) {
    RequestLog.refused(method.getBareMethodName(), status.getDescription());
    ServedCall.of(context).answered(status.getCode());
    cancelled();
    GrpcServerResponse<Buffer, Buffer> response = request.response();
    response.trailers().set("grpc-message", CallGuard.encodeMessage(status.getDescription()));
    try {
      response.status(GrpcStatus.valueOf(status.getCode().value())).end();
    } catch (RuntimeException streamGone) {
      // The stream closed meanwhile: nobody is left to answer.
    }
  }

  @Override
  public void request(int numMessages) {
    // The one request message is delivered when it arrives; Vert.x reads the stream.
  }

  @Override
  public void sendHeaders(Metadata headers) {
    if (over) {
      return;
    }
    copy(headers, request.response().headers());
  }

  @Override
  public void sendMessage(R message) {
    if (closeCalled) {
      throw new IllegalStateException("call already closed");
    }
    if (over) {
      return;
    }
    if (answer != null) {
      throw new IllegalStateException(
          method.getFullMethodName() + " is unary: it answers one message, not two");
    }
    answer = encode(message);
  }

  @Override
  public void close(Status status, Metadata trailers) {
    if (closeCalled) {
      throw new IllegalStateException("call already closed");
    }
    closeCalled = true;
    if (over) {
      return;
    }
    over = true;
    Status sent = status;
    if (status.isOk() && answer == null) {
      sent = Status.INTERNAL.withDescription("Completed without a response");
    }
    ServedCall.of(context).answered(sent.getCode());
    GrpcServerResponse<Buffer, Buffer> response = request.response();
    copy(trailers, response.trailers());
    if (sent.getDescription() != null && !response.trailers().contains("grpc-message")) {
      response.trailers().set("grpc-message", CallGuard.encodeMessage(sent.getDescription()));
    }
    try {
      if (sent.isOk()) {
        response.end(answer);
      } else {
        response.status(GrpcStatus.valueOf(sent.getCode().value())).end();
      }
    } catch (RuntimeException streamGone) {
      // The stream closed between the last check and this write: nobody is left to answer.
    }
    listener.onComplete();
  }

  @Override
  public boolean isCancelled() {
    return over && !closeCalled || gone.isGone();
  }

  @Override
  public MethodDescriptor<Object, R> getMethodDescriptor() {
    return method;
  }

  @Override
  public String getAuthority() {
    return request.headers().get(":authority");
  }

  /** The answer's bytes: a kept answer as it is, a protobuf message encoded once. */
  private Buffer encode(R message) {
    if (message instanceof EncodedMessage encoded) {
      return encoded.buffer();
    }
    byte[] bytes;
    if (message instanceof MessageLite proto) {
      bytes = proto.toByteArray();
    } else {
      try (InputStream stream = method.streamResponse(message)) {
        bytes = stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException("encoding an answer failed", e);
      }
    }
    return BufferInternal.buffer(Unpooled.wrappedBuffer(bytes));
  }

  private static byte[] decompressed(GrpcMessage message) throws StatusRefusal {
    Buffer payload = message.payload();
    String encoding = message.encoding();
    if (encoding == null || encoding.equals("identity")) {
      return payload.getBytes();
    }
    Decompressor decompressor =
        DecompressorRegistry.getDefaultInstance().lookupDecompressor(encoding);
    if (decompressor == null) {
      throw new StatusRefusal(
          Status.UNIMPLEMENTED.withDescription(
              "grpc-encoding "
                  + encoding
                  + " is not supported: send messages uncompressed (identity) or as gzip"));
    }
    int limit = GrpcFrameCheck.MAX_MESSAGE_BYTES;
    try (InputStream in =
        decompressor.decompress(new java.io.ByteArrayInputStream(payload.getBytes()))) {
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw new StatusRefusal(
            Status.RESOURCE_EXHAUSTED.withDescription(
                "the request message is over the limit of "
                    + limit
                    + " bytes (1 MiB) per message once decompressed"));
      }
      return bytes;
    } catch (IOException e) {
      throw new StatusRefusal(
          Status.INTERNAL.withDescription(
              "the request message does not decompress as " + encoding + ": " + e.getMessage()));
    }
  }

  /** The request headers as grpc-java sees them: every header but HTTP/2's pseudo-headers. */
  private static Metadata metadata(MultiMap headers) {
    Metadata metadata = new Metadata();
    for (Map.Entry<String, String> header : headers) {
      String name = header.getKey().toLowerCase(java.util.Locale.ROOT);
      if (name.startsWith(":")) {
        continue;
      }
      try {
        if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
          metadata.put(
              Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER),
              Base64.getDecoder().decode(header.getValue()));
        } else {
          metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), header.getValue());
        }
      } catch (IllegalArgumentException notAHeaderGrpcKnows) {
        // A name or a binary value grpc-java refuses: the bridge dropped such headers too.
      }
    }
    return metadata;
  }

  /** Metadata written to HTTP headers or trailers; binary values in base64, as gRPC says. */
  private static void copy(Metadata metadata, MultiMap target) {
    for (String name : metadata.keys()) {
      if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        for (byte[] value :
            metadata.getAll(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER))) {
          target.add(name, Base64.getEncoder().withoutPadding().encodeToString(value));
        }
      } else {
        for (String value :
            metadata.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER))) {
          target.add(name, value);
        }
      }
    }
  }

  /** A request refused before the service saw it. */
  private static final class StatusRefusal extends Exception {
    final Status status;

    StatusRefusal(Status status) {
      super(status.getDescription(), null, false, false);
      this.status = status;
    }
  }
}
