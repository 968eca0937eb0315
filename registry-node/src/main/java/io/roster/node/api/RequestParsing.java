package io.roster.node.api;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers a request message that is not valid protobuf with INVALID_ARGUMENT saying so.
 *
 * <p>Through the Vert.x bridge (5.0.7), a message the generated marshaller cannot parse throws on
 * the event loop and is dropped; the call then ends with {@code INTERNAL "Half-closed without a
 * request"}, which blames the node for the client's bytes. Here each method's request marshaller is
 * wrapped: a message that does not parse becomes {@code null}, and the call's listener answers it
 * with INVALID_ARGUMENT naming the message type and the parser's complaint, then ignores the rest
 * of the call.
 *
 * <p>Threading: marshallers and listeners run on the call's event loop, one event at a time.
 */
final class RequestParsing {

  private RequestParsing() {}

  /** {@code service} with every request marshaller and handler wrapped as described above. */
  static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName())
            .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guard(method);
      descriptor.addMethod(guarded.getMethodDescriptor());
      methods.add(guarded);
    }
    ServerServiceDefinition.Builder definition =
        ServerServiceDefinition.builder(descriptor.build());
    for (ServerMethodDefinition<?, ?> method : methods) {
      definition.addMethod(method);
    }
    return definition.build();
  }

  private static <Q, A> ServerMethodDefinition<Q, A> guard(ServerMethodDefinition<Q, A> method) {
    MethodDescriptor<Q, A> original = method.getMethodDescriptor();
    if (!(original.getRequestMarshaller()
        instanceof MethodDescriptor.PrototypeMarshaller<Q> proto)) {
      return method;
    }
    MethodDescriptor<Q, A> descriptor =
        original.toBuilder(new Tolerant<>(proto), original.getResponseMarshaller()).build();
    String type = proto.getMessageClass().getSimpleName();
    ServerCallHandler<Q, A> handler = method.getServerCallHandler();
    return ServerMethodDefinition.create(
        descriptor,
        (call, headers) -> new Listener<>(call, handler.startCall(call, headers), type));
  }

  /** Parses as the generated marshaller does, but gives null instead of throwing. */
  private static final class Tolerant<T> implements MethodDescriptor.PrototypeMarshaller<T> {
    private final MethodDescriptor.PrototypeMarshaller<T> delegate;

    Tolerant(MethodDescriptor.PrototypeMarshaller<T> delegate) {
      this.delegate = delegate;
    }

    @Override
    public InputStream stream(T value) {
      return delegate.stream(value);
    }

    @Override
    public T parse(InputStream stream) {
      try {
        return delegate.parse(stream);
      } catch (RuntimeException notProtobuf) {
        return null;
      }
    }

    @Override
    public T getMessagePrototype() {
      return delegate.getMessagePrototype();
    }

    @Override
    public Class<T> getMessageClass() {
      return delegate.getMessageClass();
    }
  }

  /** Ends the call on a message that did not parse; forwards everything else until then. */
  private static final class Listener<Q, A> extends ForwardingServerCallListener<Q> {
    private final ServerCall<Q, A> call;
    private final ServerCall.Listener<Q> delegate;
    private final String type;
    private boolean refused;

    Listener(ServerCall<Q, A> call, ServerCall.Listener<Q> delegate, String type) {
      this.call = call;
      this.delegate = delegate;
      this.type = type;
    }

    @Override
    protected ServerCall.Listener<Q> delegate() {
      return delegate;
    }

    @Override
    public void onMessage(Q message) {
      if (refused) {
        return;
      }
      if (message == null) {
        closeRefused(
            Status.INVALID_ARGUMENT.withDescription(
                "the request message could not be parsed as a roster "
                    + type
                    + ": it is not valid protobuf for that message (check the method and the"
                    + " encoding)"));
        return;
      }
      super.onMessage(message);
    }

    /**
     * Ends the call with {@code status}, and tells the service the call is over as a cancel: a
     * streaming service (KeepAlive) must release what it holds for the call, and grpc-java's stubs
     * tell it only of a cancel, not of a close it did not make.
     */
    private void closeRefused(Status status) {
      refused = true;
      call.close(status, new Metadata());
      super.onCancel();
    }

    @Override
    public void onComplete() {
      if (!refused) {
        super.onComplete();
      }
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        super.onHalfClose();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        super.onReady();
      }
    }
  }
}
