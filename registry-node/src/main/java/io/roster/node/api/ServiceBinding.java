package io.roster.node.api;

import com.google.protobuf.Descriptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.Service;
import io.vertx.grpcio.server.GrpcIoServer;
import io.vertx.grpcio.server.GrpcIoServiceBridge;
import java.util.ArrayList;
import java.util.List;

/**
 * A grpc-java service served on the node's gRPC server ({@code GrpcIoServer}): its unary methods
 * directly ({@link UnaryCall}), its streaming methods (Watch, KeepAlive, health's Watch) through
 * the Vert.x bridge for grpc-java services, which handles their flow control. Both run the same
 * handlers: the service as {@link CallGuard} guards it, with the token interceptor.
 *
 * <p>Added to the server as one {@link Service} with the .proto's descriptor, so server reflection
 * lists every method whichever way it is served.
 *
 * <p>Threading: bound once at start, on the starting thread; calls then run on event loops.
 */
public final class ServiceBinding implements Service {

  private final ServerServiceDefinition guarded;
  private final ServiceName name;
  private final Descriptors.ServiceDescriptor descriptor;

  private ServiceBinding(ServerServiceDefinition guarded) {
    this.guarded = guarded;
    ServiceDescriptor service = guarded.getServiceDescriptor();
    if (!(service.getSchemaDescriptor() instanceof ProtoServiceDescriptorSupplier schema)) {
      throw new IllegalArgumentException(
          service.getName() + " has no .proto descriptor: reflection could not describe it");
    }
    this.name = ServiceName.create(service.getName());
    this.descriptor = schema.getServiceDescriptor();
  }

  /** {@code guarded}: a service as {@link CallGuard#guard} returns it (requests as bytes). */
  public static ServiceBinding of(ServerServiceDefinition guarded) {
    return new ServiceBinding(guarded);
  }

  @Override
  public ServiceName name() {
    return name;
  }

  @Override
  public Descriptors.ServiceDescriptor descriptor() {
    return descriptor;
  }

  @Override
  public void bind(GrpcServer server) {
    List<ServerMethodDefinition<?, ?>> streaming = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : guarded.getMethods()) {
      if (method.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY) {
        bindUnary(server, method);
      } else {
        streaming.add(method);
      }
    }
    if (streaming.isEmpty()) {
      return;
    }
    if (!(server instanceof GrpcIoServer bridge)) {
      throw new IllegalArgumentException(
          name.fullyQualifiedName()
              + " has streaming methods: they need a GrpcIoServer to be bridged");
    }
    ServiceDescriptor.Builder streamingOnly =
        ServiceDescriptor.newBuilder(guarded.getServiceDescriptor().getName())
            .setSchemaDescriptor(guarded.getServiceDescriptor().getSchemaDescriptor());
    streaming.forEach(method -> streamingOnly.addMethod(method.getMethodDescriptor()));
    ServerServiceDefinition.Builder definition =
        ServerServiceDefinition.builder(streamingOnly.build());
    streaming.forEach(definition::addMethod);
    GrpcIoServiceBridge.bridge(definition.build()).bind(bridge);
  }

  @SuppressWarnings("unchecked") // CallGuard's methods take their requests as bytes (Object).
  private static <R> void bindUnary(GrpcServer server, ServerMethodDefinition<?, R> definition) {
    ServerMethodDefinition<Object, R> method = (ServerMethodDefinition<Object, R>) definition;
    MethodDescriptor<Object, R> descriptor = method.getMethodDescriptor();
    ServiceMethod<Buffer, Buffer> wire =
        ServiceMethod.server(
            ServiceName.create(descriptor.getServiceName()),
            descriptor.getBareMethodName(),
            GrpcMessageEncoder.IDENTITY,
            GrpcMessageDecoder.IDENTITY);
    server.callHandler(
        wire, request -> UnaryCall.start(request, descriptor, method.getServerCallHandler()));
  }
}
