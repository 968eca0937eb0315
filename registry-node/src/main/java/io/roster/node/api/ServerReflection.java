package io.roster.node.api;

import com.google.protobuf.Descriptors;
import io.vertx.core.Handler;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.Service;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;

/**
 * gRPC server reflection in both of its versions: {@code grpc.reflection.v1}, as Vert.x serves it,
 * and {@code grpc.reflection.v1alpha}, which grpcurl's older releases, {@code
 * grpc-js-reflection-client} on npm and many other tools still ask for by default.
 *
 * <p>The two versions are one protocol: their messages have the same fields and numbers, so they
 * are the same bytes on the wire, and only the service's name differs. So v1alpha calls are served
 * by Vert.x's own v1 handler, registered a second time under the v1alpha name. grpc-java's
 * reflection services cannot serve here: they find the services through grpc-java's {@code Server},
 * which services hosted on Vert.x do not run in.
 *
 * <p>Vert.x keeps its handler class private and hands it only to {@link GrpcServer#callHandler}:
 * {@link #bind} gives {@link ReflectionService} a server that takes the handler and passes every
 * other call (the list of services the handler answers from) to the real server.
 *
 * <p>Threading: bound once at start; calls then run on event loops.
 */
public final class ServerReflection implements Service {

  private static final ServiceName V1ALPHA =
      ServiceName.create("grpc.reflection.v1alpha.ServerReflection");

  private ServerReflection() {}

  /**
   * Reflection in both versions, to add to the server; once added, both list every service,
   * themselves too.
   */
  public static List<Service> bothVersions() {
    return List.of(ReflectionService.v1(), new ServerReflection());
  }

  @Override
  public ServiceName name() {
    return V1ALPHA;
  }

  /** Deprecated by grpc-java in favour of v1, which is the point: clients still ask for it. */
  @Override
  @SuppressWarnings("deprecation")
  public Descriptors.ServiceDescriptor descriptor() {
    return io.grpc.reflection.v1alpha.ServerReflectionProto.getDescriptor()
        .findServiceByName("ServerReflection");
  }

  @Override
  public void bind(GrpcServer server) {
    ReflectionService.v1().bind(takingHandlersInto(server));
  }

  /** A view of {@code server} that registers call handlers under the v1alpha name instead. */
  private static GrpcServer takingHandlersInto(GrpcServer server) {
    return (GrpcServer)
        Proxy.newProxyInstance(
            ServerReflection.class.getClassLoader(),
            new Class<?>[] {GrpcServer.class},
            (proxy, method, arguments) -> {
              if (method.getName().equals("callHandler")
                  && arguments != null
                  && arguments.length == 2
                  && arguments[0] instanceof ServiceMethod<?, ?> v1) {
                registerAsV1alpha(server, v1, arguments[1]);
                return proxy;
              }
              try {
                return method.invoke(server, arguments);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> void registerAsV1alpha(
      GrpcServer server, ServiceMethod<Q, R> v1, Object handler) {
    server.callHandler(
        ServiceMethod.server(V1ALPHA, v1.methodName(), v1.encoder(), v1.decoder()),
        (Handler<GrpcServerRequest<Q, R>>) handler);
  }
}
