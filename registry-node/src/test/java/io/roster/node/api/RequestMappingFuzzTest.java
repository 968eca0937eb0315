package io.roster.node.api;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceKey;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.RegisterRequest;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchTarget;
import java.util.Arrays;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz tests of request validation and the protobuf-to-domain mapping ({@link ProtoMapper} over
 * {@code InstanceValidator}): whatever a caller sends, a request maps to valid domain values or is
 * refused with an {@code InvalidArgumentException} naming one of its fields ({@link
 * RequestOracle}); never another exception, never a hang.
 *
 * <p>{@code mvn verify} runs each target on its inputs under {@code
 * src/test/resources/io/roster/node/api/RequestMappingFuzzTestInputs/} (regression mode);
 * docs/operations.md ("Fuzzing") says how to fuzz one for real.
 */
@Timeout(10) // per input; also the fuzzer's hang limit
class RequestMappingFuzzTest {

  /**
   * Bytes from the wire, as gRPC hands them over: the first byte picks the request type (the digit
   * '0' to '7', in the order of {@link RequestOracle#REQUEST_TYPES}; other bytes modulo 8), the
   * rest is parsed as that request. Bytes that do not parse never reach the mapping: the call guard
   * refuses them with INVALID_ARGUMENT ("could not be parsed").
   */
  @FuzzTest(maxDuration = "5m")
  void requestBytes(byte[] data) {
    if (data.length == 0) {
      return;
    }
    Message type =
        RequestOracle.REQUEST_TYPES.get(
            Math.floorMod(data[0] - '0', RequestOracle.REQUEST_TYPES.size()));
    Message request;
    try {
      request = type.getParserForType().parseFrom(Arrays.copyOfRange(data, 1, data.length));
    } catch (InvalidProtocolBufferException notAMessage) {
      return;
    }
    RequestOracle.assertMapsOrNamesAField(request);
  }

  /**
   * Requests built field by field from fuzzer values, so every validator sees values close to its
   * rules (lengths at the limits, unsigned values of 2^31 and above, characters just outside the
   * allowed sets) sooner than through wire bytes.
   */
  @FuzzTest(maxDuration = "5m")
  void builtRequests(FuzzedDataProvider data) {
    Message request =
        switch (data.consumeInt(0, RequestOracle.REQUEST_TYPES.size() - 1)) {
          case 0 -> {
            RegisterRequest.Builder register = RegisterRequest.newBuilder();
            if (data.consumeBoolean()) {
              register.setInstance(instance(data));
            }
            if (data.consumeBoolean()) {
              register.setLeaseTtl(
                  Duration.newBuilder().setSeconds(uint64(data)).setNanos(uint32(data)));
            }
            yield register.build();
          }
          case 1 ->
              HeartbeatRequest.newBuilder().setLeaseId(text(data)).setEpoch(uint64(data)).build();
          case 2 ->
              KeepAliveRequest.newBuilder().setLeaseId(text(data)).setEpoch(uint64(data)).build();
          case 3 -> DeregisterRequest.newBuilder().setKey(key(data)).setEpoch(uint64(data)).build();
          case 4 ->
              SetStatusRequest.newBuilder()
                  .setKey(key(data))
                  .setStatusValue(data.consumeInt(-1, 5))
                  .setEpoch(uint64(data))
                  .build();
          case 5 -> {
            DiscoverRequest.Builder discover =
                DiscoverRequest.newBuilder()
                    .setNamespace(text(data))
                    .setService(text(data))
                    .setPreferredZone(text(data))
                    .setIncludeUnhealthy(data.consumeBoolean())
                    .setVersion(text(data))
                    .setPageSize(uint32(data))
                    .setPageToken(text(data));
            for (int i = data.consumeInt(0, 20); i > 0; i--) {
              discover.putMetadataSelector(text(data), text(data));
            }
            yield discover.build();
          }
          case 6 ->
              ListServicesRequest.newBuilder()
                  .setNamespace(text(data))
                  .setPageSize(uint32(data))
                  .setPageToken(text(data))
                  .build();
          default -> {
            WatchRequest.Builder watch = WatchRequest.newBuilder().setNamespace(text(data));
            for (int i = data.consumeInt(0, 300); i > 0; i--) {
              watch.addTargets(
                  WatchTarget.newBuilder()
                      .setService(text(data))
                      .setFromRevision(uint64(data))
                      .setIncarnation(uint64(data)));
            }
            yield watch.build();
          }
        };
    RequestOracle.assertMapsOrNamesAField(request);
  }

  private static Instance instance(FuzzedDataProvider data) {
    Instance.Builder instance =
        Instance.newBuilder()
            .setNamespace(text(data))
            .setService(text(data))
            .setInstanceId(text(data))
            .setHost(text(data))
            .setPort(uint32(data))
            .setZone(text(data))
            .setVersion(text(data))
            .setStatusValue(data.consumeInt(-1, 5));
    if (data.consumeBoolean()) {
      instance.setWeight(uint32(data));
    }
    for (int i = data.consumeInt(0, 20); i > 0; i--) {
      instance.putPorts(text(data), uint32(data));
    }
    for (int i = data.consumeInt(0, 70); i > 0; i--) {
      instance.putMetadata(text(data), text(data));
    }
    return instance.build();
  }

  private static InstanceKey key(FuzzedDataProvider data) {
    return InstanceKey.newBuilder()
        .setNamespace(text(data))
        .setService(text(data))
        .setInstanceId(text(data))
        .build();
  }

  /**
   * A 32-bit field: a value near the limits of ports, weights and page sizes (to 70,000), or near a
   * Duration's 10^9 nanos, or any value, 2^31 and above included (Java reads those negative). From
   * any value alone the fuzzer seldom lands in a valid range, and would rarely get past the first
   * number of a request.
   */
  private static int uint32(FuzzedDataProvider data) {
    return switch (data.consumeInt(0, 2)) {
      case 0 -> data.consumeInt(-1, 70_000);
      case 1 -> data.consumeInt(999_999_000, 1_000_001_000);
      default -> data.consumeInt();
    };
  }

  /**
   * A 64-bit field: a small value (epochs, revisions, seconds), or one near a Duration's largest
   * seconds (315,576,000,000), or any value, 2^63 and above included.
   */
  private static long uint64(FuzzedDataProvider data) {
    return switch (data.consumeInt(0, 2)) {
      case 0 -> data.consumeLong(-1, 100_000);
      case 1 -> data.consumeLong(315_575_999_000L, 315_576_001_000L);
      default -> data.consumeLong();
    };
  }

  /**
   * A string of up to 300 characters: past every limit of a name (256 for an instance id), short
   * enough to leave bytes for the other fields.
   */
  private static String text(FuzzedDataProvider data) {
    return data.consumeString(data.consumeInt(0, 300));
  }
}
