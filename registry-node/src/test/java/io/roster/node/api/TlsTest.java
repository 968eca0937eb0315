package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.vertx.core.net.SelfSignedCertificate;
import java.io.File;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TLS on the API port is a configuration switch; plaintext clients are then refused. */
@Timeout(120)
class TlsTest {

  @Test
  void apiSpeaksTlsWhenSwitchedOn() throws Exception {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    try (RegistryNode node =
        SingleNode.start(
            "tls-test",
            "--api.tls.enabled=true",
            "--api.tls.cert-chain-file=" + certificate.certificatePath(),
            "--api.tls.private-key-file=" + certificate.privateKeyPath())) {
      ManagedChannel secure =
          NettyChannelBuilder.forAddress("localhost", node.apiPort())
              .sslContext(
                  GrpcSslContexts.forClient()
                      .trustManager(new File(certificate.certificatePath()))
                      .build())
              .build();
      ManagedChannel plain =
          ManagedChannelBuilder.forAddress("localhost", node.apiPort()).usePlaintext().build();
      try {
        assertEquals(
            1,
            ClusterServiceGrpc.newBlockingStub(secure)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .clusterStatus(ClusterStatusRequest.getDefaultInstance())
                .getMembersCount());
        StatusRuntimeException refused =
            assertThrows(
                StatusRuntimeException.class,
                () ->
                    ClusterServiceGrpc.newBlockingStub(plain)
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .clusterStatus(ClusterStatusRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
      } finally {
        secure.shutdownNow();
        plain.shutdownNow();
      }
    }
  }
}
