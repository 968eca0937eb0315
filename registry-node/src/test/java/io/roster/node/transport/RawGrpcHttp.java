package io.roster.node.transport;

import io.grpc.Status;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * gRPC calls sent as plain HTTP requests, for what no gRPC library sends: a content type of the
 * test's choosing, message frames written by hand, gRPC-Web over HTTP/1.1. Each answer is waited
 * for at most {@link #ANSWER_WITHIN_MILLIS}: a node answers a malformed request at once.
 *
 * <p>Thread-safe (Vert.x clients may be called from any thread); close it once.
 */
public final class RawGrpcHttp implements AutoCloseable {

  /**
   * How long a node may take to answer a malformed request, as this JVM sees it. A node answers in
   * milliseconds; the bound is 3 s, not 1, because in two full runs of the test suite on a 2-core
   * machine a request sent here waited past 1 s while the node had logged its refusal within
   * milliseconds of the one before: the wait was on this side (the test JVM, after tests that build
   * requests of 100,000 services, shares the cores with the nodes). A request never answered still
   * fails.
   */
  public static final long ANSWER_WITHIN_MILLIS = 3_000;

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http2 =
      vertx.createHttpClient(
          new HttpClientOptions()
              .setProtocolVersion(HttpVersion.HTTP_2)
              .setHttp2ClearTextUpgrade(false));
  private final HttpClient http1 = vertx.createHttpClient(new HttpClientOptions());

  /** An answer's HTTP status, and its headers and trailers together, where gRPC puts its status. */
  public record Answer(int httpStatus, MultiMap statusHeaders) {

    /** The gRPC status code, or null when the answer has none. */
    public Status.Code code() {
      String code = statusHeaders.get("grpc-status");
      return code == null ? null : Status.fromCodeValue(Integer.parseInt(code.trim())).getCode();
    }

    /** {@code grpc-message}, percent-decoded as the gRPC spec encodes it; "" when there is none. */
    public String message() {
      String message = statusHeaders.get("grpc-message");
      return message == null ? "" : percentDecode(message);
    }

    @Override
    public String toString() {
      return "HTTP " + httpStatus + " " + code() + " \"" + message() + "\" " + statusHeaders;
    }
  }

  /** Posts {@code body} to {@code path} over HTTP/2 without upgrade, as gRPC clients do. */
  public Answer http2(String host, int port, String path, String contentType, Buffer body)
      throws Exception {
    return send(http2, host, port, path, contentType, Map.of(), body);
  }

  /** As {@link #http2}, with {@code headers} added (grpc-timeout, grpc-encoding...). */
  public Answer http2(
      String host,
      int port,
      String path,
      String contentType,
      Map<String, String> headers,
      Buffer body)
      throws Exception {
    return send(http2, host, port, path, contentType, headers, body);
  }

  /** Posts {@code body} to {@code path} over HTTP/1.1, as gRPC-Web clients in browsers may. */
  public Answer http1(String host, int port, String path, String contentType, Buffer body)
      throws Exception {
    return send(http1, host, port, path, contentType, Map.of(), body);
  }

  /** {@code message} framed as gRPC frames it: not compressed, its length, its bytes. */
  public static Buffer frame(byte[] message) {
    return Buffer.buffer().appendByte((byte) 0).appendInt(message.length).appendBytes(message);
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  /**
   * Opens this client's connections to a node and has it answer once over each, with time to spare:
   * the bound of {@link #ANSWER_WITHIN_MILLIS} is on answers, not on connecting to a node that has
   * just started, whose first requests on a loaded machine also wait for the JIT.
   */
  public void warmUp(String host, int port) throws Exception {
    Buffer empty = frame(new byte[0]);
    String clusterStatus = "/roster.v1.ClusterService/ClusterStatus";
    send(http2, host, port, clusterStatus, "application/grpc", Map.of(), empty, WARM_UP_MILLIS);
    send(
        http1,
        host,
        port,
        clusterStatus,
        "application/grpc-web+proto",
        Map.of(),
        empty,
        WARM_UP_MILLIS);
  }

  private static final long WARM_UP_MILLIS = 30_000;

  private static Answer send(
      HttpClient client,
      String host,
      int port,
      String path,
      String contentType,
      Map<String, String> headers,
      Buffer body)
      throws Exception {
    return send(client, host, port, path, contentType, headers, body, ANSWER_WITHIN_MILLIS);
  }

  private static Answer send(
      HttpClient client,
      String host,
      int port,
      String path,
      String contentType,
      Map<String, String> headers,
      Buffer body,
      long withinMillis)
      throws Exception {
    return client
        .request(
            new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(host)
                .setPort(port)
                .setURI(path)
                .setTimeout(withinMillis))
        .compose(
            request -> {
              request.putHeader("content-type", contentType).putHeader("te", "trailers");
              headers.forEach(request::putHeader);
              return request.send(body);
            })
        .compose(
            response ->
                response
                    .body()
                    .map(
                        answered -> {
                          MultiMap status = MultiMap.caseInsensitiveMultiMap();
                          status.addAll(response.headers());
                          status.addAll(response.trailers());
                          if (status.get("grpc-status") == null) {
                            status.addAll(trailersInBody(response, answered));
                          }
                          return new Answer(response.statusCode(), status);
                        }))
        .toCompletionStage()
        .toCompletableFuture()
        .get(withinMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * gRPC-Web's trailers, sent in the body as a frame flagged 0x80 of "name: value\r\n" lines (in
   * base64 for gRPC-Web-text); none for other answers.
   */
  private static MultiMap trailersInBody(HttpClientResponse response, Buffer body) {
    MultiMap trailers = MultiMap.caseInsensitiveMultiMap();
    String contentType = response.getHeader("content-type");
    if (contentType == null || !contentType.startsWith("application/grpc-web")) {
      return trailers;
    }
    byte[] bytes =
        contentType.startsWith("application/grpc-web-text")
            ? Base64.getMimeDecoder().decode(body.toString(StandardCharsets.US_ASCII))
            : body.getBytes();
    Buffer frames = Buffer.buffer(bytes);
    int at = 0;
    while (at + 5 <= frames.length()) {
      int length = frames.getInt(at + 1);
      if ((frames.getByte(at) & 0x80) != 0) {
        String text = frames.getString(at + 5, at + 5 + length, "ISO-8859-1");
        for (String line : text.split("\r\n")) {
          int colon = line.indexOf(':');
          if (colon > 0) {
            trailers.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
          }
        }
      }
      at += 5 + length;
    }
    return trailers;
  }

  /** The gRPC spec's percent-decoding: {@code %XX} is a byte, everything else as is; UTF-8. */
  private static String percentDecode(String encoded) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%' && i + 2 < encoded.length()) {
        bytes.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
