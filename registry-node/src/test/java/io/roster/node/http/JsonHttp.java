package io.roster.node.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.roster.v1.WatchResponse;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The JSON routes called as any HTTP client calls them: {@code java.net.http}, HTTP/1.1, no Roster
 * or gRPC code on the way. Answers are parsed with the canonical JSON mapping into the API's
 * messages, so a test asserts on typed fields.
 */
public final class JsonHttp {

  private static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);

  /** How long a call's whole answer may take (not a Watch stream's). */
  private final Duration callTimeout;

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** Calls that fail when their answer takes over 30 s, plenty on a loaded machine. */
  public JsonHttp() {
    this(DEFAULT_CALL_TIMEOUT);
  }

  /** Calls that fail when their answer takes over {@code callTimeout}. */
  public JsonHttp(Duration callTimeout) {
    this.callTimeout = callTimeout;
  }

  /** An answer: HTTP status, content type, body. */
  public record Answer(int status, String contentType, String body) {

    /** The body as a {@code roster.v1} message; fails the test when it is not one. */
    @SuppressWarnings("unchecked")
    public <T extends Message> T as(T prototype) {
      Message.Builder builder = prototype.newBuilderForType();
      try {
        JsonFormat.parser().merge(body, builder);
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(
            "answer " + status + " is no " + prototype.getClass() + ": " + body, e);
      }
      return (T) builder.build();
    }

    /** The {@code code} of an error answer. */
    public String errorCode() {
      return new JsonObject(body).getString("code");
    }

    /** The {@code message} of an error answer. */
    public String errorMessage() {
      return new JsonObject(body).getString("message");
    }
  }

  /** Sends a documented example to a node at {@code baseUrl}. */
  public Answer send(String baseUrl, HttpExamples.Example example) {
    return send(example.method(), baseUrl + example.pathAndQuery(), example.body());
  }

  /** Sends {@code body} (null: none) and waits for the whole answer. */
  public Answer send(String method, String url, String body) {
    try {
      HttpResponse<String> response =
          client.send(request(method, url, body), HttpResponse.BodyHandlers.ofString());
      return new Answer(
          response.statusCode(),
          response.headers().firstValue("content-type").orElse(""),
          response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** POSTs {@code body} as it is (any bytes, valid UTF-8 or not) and waits for the answer. */
  public Answer post(String url, byte[] body) {
    try {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create(url))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .header("content-type", "application/json")
                  .timeout(callTimeout)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Answer(
          response.statusCode(),
          response.headers().firstValue("content-type").orElse(""),
          response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("POST " + url + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * GETs {@code target} (path and query string) exactly as written, over a socket of its own: for
   * request lines no HTTP client sends, such as a broken percent escape ({@code %zz}).
   */
  public Answer getAsSent(String host, int port, String target) {
    try (Socket socket = new Socket(host, port)) {
      socket.setSoTimeout((int) callTimeout.toMillis());
      socket
          .getOutputStream()
          .write(
              ("GET " + target + " HTTP/1.1\r\nhost: " + host + "\r\nconnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int headEnd = answer.indexOf("\r\n\r\n");
      if (headEnd < 0) {
        throw new AssertionError("GET " + target + ": no complete answer: " + answer);
      }
      String[] head = answer.substring(0, headEnd).split("\r\n");
      String contentType = "";
      for (String header : head) {
        if (header.regionMatches(true, 0, "content-type:", 0, 13)) {
          contentType = header.substring(13).trim();
        }
      }
      return new Answer(
          Integer.parseInt(head[0].split(" ")[1]), contentType, answer.substring(headEnd + 4));
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + target + " failed", e);
    }
  }

  /** Opens a newline-delimited JSON stream; returns once the status line and headers arrived. */
  public Lines stream(String baseUrl, HttpExamples.Example example) {
    try {
      HttpResponse<InputStream> response =
          client.send(
              request(example.method(), baseUrl + example.pathAndQuery(), example.body()),
              HttpResponse.BodyHandlers.ofInputStream());
      return new Lines(response);
    } catch (IOException e) {
      throw new UncheckedIOException("opening " + example.pathAndQuery() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest request(String method, String url, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("content-type", "application/json");
    }
    if (!url.contains("/v1/watch")) {
      request.timeout(callTimeout);
    }
    return request.build();
  }

  /**
   * The lines of a streaming answer, read by a thread of their own as they come.
   *
   * <p>Threading: one reader thread fills the queue; the test thread takes from it.
   */
  public static final class Lines implements AutoCloseable {

    private static final String END = "\u0000end";

    private final HttpResponse<InputStream> response;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private volatile IOException failure;

    Lines(HttpResponse<InputStream> response) {
      this.response = response;
      Thread reader = new Thread(this::read, "ndjson-reader");
      reader.setDaemon(true);
      reader.start();
    }

    public int status() {
      return response.statusCode();
    }

    public String contentType() {
      return response.headers().firstValue("content-type").orElse("");
    }

    /** The next line as a WatchResponse; fails when none comes within {@code timeout}. */
    public WatchResponse next(Duration timeout) {
      String line = take(timeout);
      if (line == null) {
        throw new AssertionError("no line within " + timeout);
      }
      if (line.equals(END)) {
        throw new AssertionError("the stream ended", failure);
      }
      WatchResponse.Builder message = WatchResponse.newBuilder();
      try {
        JsonFormat.parser().merge(line, message);
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError("line is no WatchResponse: " + line, e);
      }
      return message.build();
    }

    /**
     * Waits for the stream to end (skipping lines still on their way); empty when it ended cleanly,
     * else how it broke. Fails when it goes on past {@code timeout}.
     */
    public Optional<IOException> awaitEnd(Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        String line = take(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        if (line == null) {
          throw new AssertionError("the stream still runs after " + timeout);
        }
        if (line.equals(END)) {
          return Optional.ofNullable(failure);
        }
      }
    }

    @Override
    public void close() {
      try {
        response.body().close();
      } catch (IOException ignored) {
        // Closing is all that is left to do.
      }
    }

    private String take(Duration timeout) {
      try {
        return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    private void read() {
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          lines.add(line);
        }
      } catch (IOException e) {
        failure = e;
      } finally {
        lines.add(END);
      }
    }
  }
}
