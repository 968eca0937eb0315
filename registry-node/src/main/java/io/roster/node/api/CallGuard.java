package io.roster.node.api;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Wraps a grpc-java service before it is served on the Vert.x gRPC server ({@link ServiceBinding}:
 * unary methods directly, streaming ones through the Vert.x bridge), so that:
 *
 * <ul>
 *   <li><b>every call is answered, whatever is thrown.</b> grpc-java's own server closes a call
 *       whose handler throws; the Vert.x bridge does not: the exception reached Vert.x's "Unhandled
 *       exception" log and the caller waited for its deadline (a {@code ListServices} with {@code
 *       page_size} 2^31 did). Here a throw from the handler, or from any listener method, closes
 *       the call with the status {@link GrpcErrors} maps it to (INTERNAL for a bug, logged there
 *       once, with its stack trace), and the handler is told the call is over ({@code onCancel}),
 *       so a stream it tracks is released.
 *   <li><b>a request that is not a protobuf message is refused as bad input</b>: INVALID_ARGUMENT
 *       naming the method, one rate-limited line in the log. The bridge parsed requests itself and
 *       a parse failure was an unthrottled ERROR with an 80-line stack trace per request, and an
 *       INTERNAL "Half-closed without a request". Requests therefore cross the bridge as bytes and
 *       are parsed here, inside the guard.
 *   <li><b>status messages are encoded as the gRPC spec says</b> (PROTOCOL-HTTP2.md: {@code
 *       grpc-message} is percent-encoded UTF-8 where only bytes outside 0x20-0x7E and {@code %}
 *       itself are encoded). Vert.x 5.0.7 encodes it as a URL query ({@code URLEncoder}), so {@code
 *       :}, {@code /}, {@code ,} and {@code ;} arrived as {@code %3A} and the like, which
 *       {@code @grpc/grpc-js} shows as is. The message is written into the trailers here, and the
 *       status handed to Vert.x has none for it to encode (Vert.x keeps a {@code grpc-message} it
 *       finds in the trailers only when it writes none itself).
 * </ul>
 *
 * <p>The defects named below are the bridge's; {@link UnaryCall} keeps the same rules, so a unary
 * and a streaming method answer alike.
 *
 * <p>Threading: the bridge and {@link UnaryCall} call a call's listener on the call's event loop,
 * one method at a time; the service may close the call from the same event loop (its {@code
 * Replies}). The flags below are volatile so a close from elsewhere is still seen.
 */
public final class CallGuard {

  /** Written by us, already encoded; ASCII only, so the ASCII marshaller passes it unchanged. */
  static final Metadata.Key<String> GRPC_MESSAGE =
      Metadata.Key.of("grpc-message", Metadata.ASCII_STRING_MARSHALLER);

  /** How deep protobuf-java parses nested messages and groups (its default, kept). */
  static final int PROTOBUF_RECURSION_LIMIT = 100;

  private CallGuard() {}

  /** {@code service} with every method guarded; the service descriptor and schema are kept. */
  public static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName())
            .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<Object, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<Object, ?> guarded = guard(method);
      descriptor.addMethod(guarded.getMethodDescriptor());
      methods.add(guarded);
    }
    ServerServiceDefinition.Builder definition =
        ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(definition::addMethod);
    return definition.build();
  }

  /**
   * {@code message} as the gRPC spec encodes {@code grpc-message}: UTF-8, with every byte outside
   * 0x20-0x7E and {@code %} written as {@code %XX}.
   */
  static String encodeMessage(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length + 16);
    for (byte b : bytes) {
      int unsigned = b & 0xff;
      if (unsigned < 0x20 || unsigned > 0x7e || unsigned == '%') {
        out.append('%').append(Character.toUpperCase(Character.forDigit(unsigned >> 4, 16)));
        out.append(Character.toUpperCase(Character.forDigit(unsigned & 0xf, 16)));
      } else {
        out.append((char) unsigned);
      }
    }
    return out.toString();
  }

  private static <Q, R> ServerMethodDefinition<Object, R> guard(
      ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> original = method.getMethodDescriptor();
    MethodDescriptor<Object, R> wire =
        original.toBuilder(
                new Unparsed<>(original.getRequestMarshaller()), original.getResponseMarshaller())
            .build();
    return ServerMethodDefinition.create(wire, (call, headers) -> start(method, call, headers));
  }

  /**
   * Requests cross the bridge as their bytes, copied out of the transport's buffer (a message may
   * wait in the bridge's queue until the call asks for it), and are parsed by the guard. The bridge
   * wants the request prototype all the same (its decoder would parse the JSON wire format from it,
   * which {@link GrpcContentTypes} refuses before the bridge sees it); anything that is not bytes
   * arrived parsed already.
   */
  private static final class Unparsed<Q> implements MethodDescriptor.PrototypeMarshaller<Object> {

    private final MethodDescriptor.Marshaller<Q> original;

    Unparsed(MethodDescriptor.Marshaller<Q> original) {
      this.original = original;
    }

    @Override
    public Class<Object> getMessageClass() {
      return Object.class;
    }

    @Override
    public Object getMessagePrototype() {
      return original instanceof MethodDescriptor.PrototypeMarshaller<Q> prototype
          ? prototype.getMessagePrototype()
          : null;
    }

    @Override
    @SuppressWarnings("unchecked") // Anything but bytes came from the bridge's own parse: a Q.
    public InputStream stream(Object value) {
      return value instanceof byte[] bytes
          ? new ByteArrayInputStream(bytes)
          : original.stream((Q) value);
    }

    @Override
    public Object parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static <Q, R> ServerCall.Listener<Object> start(
      ServerMethodDefinition<Q, R> method, ServerCall<Object, R> wire, Metadata headers) {
    GuardedCall<Q, R> call = new GuardedCall<>(wire, method.getMethodDescriptor());
    GuardedListener<Q> listener = new GuardedListener<>(call);
    call.listener = listener;
    try {
      listener.delegate = method.getServerCallHandler().startCall(call, headers);
    } catch (RuntimeException | Error e) {
      call.fail(e);
    }
    return listener;
  }

  /** The call as the service sees it: its own request type, and status messages spec-encoded. */
  private static final class GuardedCall<Q, R> extends ServerCall<Q, R> {

    private final ServerCall<Object, R> wire;
    private final MethodDescriptor<Q, R> method;
    private final String methodName;

    /** The request this call serves, counting its messages and status ({@link ServedCall}). */
    private final ServedCall served;

    private GuardedListener<Q> listener;
    private volatile boolean closed;

    GuardedCall(ServerCall<Object, R> wire, MethodDescriptor<Q, R> method) {
      this.wire = wire;
      this.method = method;
      this.methodName = method.getBareMethodName();
      // Started inside the request's Context (HttpEndpoints), on its event loop.
      this.served = ServedCall.current();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (closed) {
        throw new IllegalStateException("call already closed");
      }
      closed = true;
      served.answered(status.getCode());
      Status handedOn = status;
      if (!status.isOk() && status.getDescription() != null) {
        trailers.discardAll(GRPC_MESSAGE);
        trailers.put(GRPC_MESSAGE, encodeMessage(status.getDescription()));
        handedOn = Status.fromCode(status.getCode()).withCause(status.getCause());
      }
      wire.close(handedOn, trailers);
    }

    /** Answers with the status {@code failure} maps to, and tells the service the call is over. */
    void fail(Throwable failure) {
      StatusRuntimeException status = GrpcErrors.toStatus(methodName, failure);
      closeQuietly(status.getStatus());
    }

    /** Refuses a request that does not parse as the method's request message. */
    void refuseMalformed(RuntimeException failure) {
      Throwable cause = failure;
      while (cause.getCause() != null && cause.getCause() != cause) {
        cause = cause.getCause();
      }
      String message =
          "the request is not a valid "
              + method.getFullMethodName()
              + " request message: it could not be parsed ("
              + whyNotParsed(cause)
              + ")";
      RequestLog.refused(methodName, message);
      closeQuietly(Status.INVALID_ARGUMENT.withDescription(message));
    }

    /**
     * The parser's reason, in the caller's terms. Protobuf's own message for messages or groups
     * nested past its limit ends by advising a larger limit, advice for the server's code, not for
     * the caller.
     */
    private static String whyNotParsed(Throwable cause) {
      String reason = String.valueOf(cause.getMessage());
      return reason.startsWith("Protocol message had too many levels of nesting")
          ? "messages or groups nested more than " + PROTOBUF_RECURSION_LIMIT + " deep"
          : reason;
    }

    private void closeQuietly(Status status) {
      // The service hears that the call is over first: closing the wire may call the listener's
      // onComplete at once, which grpc-java's stream handlers take as a call the service ended
      // itself, so a KeepAlive refused here would never learn it and stay open.
      if (listener != null) {
        listener.over();
      }
      if (!closed) {
        try {
          close(status, new Metadata());
        } catch (RuntimeException callAlreadyOver) {
          // The transport ended it meanwhile: nobody is left to answer.
        }
      }
    }

    @Override
    public void request(int numMessages) {
      wire.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      wire.sendHeaders(headers);
    }

    @Override
    public void sendMessage(R message) {
      wire.sendMessage(message);
      served.sent();
    }

    @Override
    public boolean isReady() {
      return wire.isReady();
    }

    @Override
    public boolean isCancelled() {
      return wire.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      wire.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      wire.setCompression(compressor);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return wire.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return wire.getAttributes();
    }

    @Override
    public String getAuthority() {
      return wire.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }

  /**
   * Parses each request inside the guard and runs every listener method under it. Once the guard
   * has closed the call, the service hears only that it is over: exactly one {@code onCancel} or
   * {@code onComplete}, as grpc-java promises.
   */
  private static final class GuardedListener<Q> extends ServerCall.Listener<Object> {

    private final GuardedCall<Q, ?> call;
    private ServerCall.Listener<Q> delegate;
    private volatile boolean finished;

    GuardedListener(GuardedCall<Q, ?> call) {
      this.call = call;
    }

    @Override
    @SuppressWarnings("unchecked") // Anything but bytes came from the bridge's own parse: a Q.
    public void onMessage(Object message) {
      if (delegate == null || call.closed) {
        return;
      }
      call.served.received();
      Q request;
      try {
        request =
            message instanceof byte[] bytes
                ? call.method.parseRequest(new ByteArrayInputStream(bytes))
                : (Q) message;
      } catch (RuntimeException malformed) {
        call.refuseMalformed(malformed);
        return;
      }
      run(() -> delegate.onMessage(request));
    }

    @Override
    public void onHalfClose() {
      if (delegate != null && !call.closed) {
        run(delegate::onHalfClose);
      }
    }

    @Override
    public void onReady() {
      if (delegate != null && !call.closed) {
        run(delegate::onReady);
      }
    }

    @Override
    public void onCancel() {
      end(true);
    }

    @Override
    public void onComplete() {
      end(false);
    }

    /** The guard closed the call: the service is told it was cancelled, so it lets go of it. */
    void over() {
      end(true);
    }

    private void end(boolean cancelled) {
      if (finished || delegate == null) {
        finished = true;
        return;
      }
      finished = true;
      try {
        if (cancelled) {
          delegate.onCancel();
        } else {
          delegate.onComplete();
        }
      } catch (RuntimeException | Error e) {
        // The call is over; there is no one left to answer, only the node's log.
        GrpcErrors.toStatus(call.methodName, e);
      }
    }

    private void run(Runnable action) {
      try {
        action.run();
      } catch (RuntimeException | Error e) {
        call.fail(e);
      }
    }
  }
}
