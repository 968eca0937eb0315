package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Server reflection answers in both versions with the same content: v1, and v1alpha, which many
 * tools still ask for by default.
 */
@Timeout(120)
class ServerReflectionTest {

  private static final List<String> EXPECTED_SERVICES =
      List.of(
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
          "roster.v1.RegistryService",
          "roster.v1.DiscoveryService",
          "roster.v1.ClusterService",
          "grpc.health.v1.Health");

  private static RegistryNode node;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    node = SingleNode.start("reflection");
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    node.stop();
  }

  @Test
  void v1ListsEveryServiceAndDescribesDiscover() throws Exception {
    io.grpc.reflection.v1.ServerReflectionResponse listed =
        askV1(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices(""));
    List<String> names =
        listed.getListServicesResponse().getServiceList().stream()
            .map(io.grpc.reflection.v1.ServiceResponse::getName)
            .toList();
    assertTrue(names.containsAll(EXPECTED_SERVICES), names.toString());

    io.grpc.reflection.v1.ServerReflectionResponse file =
        askV1(
            io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("roster.v1.DiscoveryService"));
    assertDescribesDiscover(file.getFileDescriptorResponse().getFileDescriptorProtoList());
  }

  @Test
  @SuppressWarnings("deprecation")
  void v1alphaListsEveryServiceAndDescribesDiscoverAsV1Does() throws Exception {
    io.grpc.reflection.v1alpha.ServerReflectionResponse listed =
        askV1alpha(
            io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices(""));
    List<String> names =
        listed.getListServicesResponse().getServiceList().stream()
            .map(io.grpc.reflection.v1alpha.ServiceResponse::getName)
            .toList();
    assertTrue(names.containsAll(EXPECTED_SERVICES), names.toString());

    io.grpc.reflection.v1alpha.ServerReflectionResponse file =
        askV1alpha(
            io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("roster.v1.DiscoveryService"));
    assertDescribesDiscover(file.getFileDescriptorResponse().getFileDescriptorProtoList());

    io.grpc.reflection.v1alpha.ServerReflectionResponse itself =
        askV1alpha(
            io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("grpc.reflection.v1alpha.ServerReflection"));
    assertEquals(
        "grpc/reflection/v1alpha/reflection.proto",
        FileDescriptorProto.parseFrom(
                itself.getFileDescriptorResponse().getFileDescriptorProtoList().get(0))
            .getName());
  }

  private static void assertDescribesDiscover(List<ByteString> files) throws Exception {
    assertTrue(!files.isEmpty(), "no file descriptor");
    FileDescriptorProto file = FileDescriptorProto.parseFrom(files.get(0));
    assertEquals("roster.v1", file.getPackage());
    assertTrue(
        file.getServiceList().stream()
            .anyMatch(
                service ->
                    service.getName().equals("DiscoveryService")
                        && service.getMethodList().stream()
                            .anyMatch(method -> method.getName().equals("Discover"))),
        file.getName());
  }

  private static io.grpc.reflection.v1.ServerReflectionResponse askV1(
      io.grpc.reflection.v1.ServerReflectionRequest.Builder request) throws Exception {
    CompletableFuture<io.grpc.reflection.v1.ServerReflectionResponse> answer =
        new CompletableFuture<>();
    StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> stream =
        io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(firstInto(answer));
    stream.onNext(request.build());
    stream.onCompleted();
    return answer.get(10, TimeUnit.SECONDS);
  }

  @SuppressWarnings("deprecation")
  private static io.grpc.reflection.v1alpha.ServerReflectionResponse askV1alpha(
      io.grpc.reflection.v1alpha.ServerReflectionRequest.Builder request) throws Exception {
    CompletableFuture<io.grpc.reflection.v1alpha.ServerReflectionResponse> answer =
        new CompletableFuture<>();
    StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> stream =
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(firstInto(answer));
    stream.onNext(request.build());
    stream.onCompleted();
    return answer.get(10, TimeUnit.SECONDS);
  }

  private static <T> StreamObserver<T> firstInto(CompletableFuture<T> answer) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        answer.completeExceptionally(new AssertionError("ended without an answer"));
      }
    };
  }
}
