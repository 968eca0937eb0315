package io.roster.bench;

import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;

/**
 * How every channel of the bench connects: plaintext (the default), or TLS trusting a CA file (or
 * the JVM's CAs) and presenting a client certificate to nodes that require one; and, for nodes that
 * check callers, a bearer token on every call and stream. The files are read and parsed once, here,
 * so a mistake stops the run before any load. The description never shows the token.
 *
 * <p>Immutable and thread-safe.
 */
final class BenchTransport {

  private final ChannelCredentials credentials;
  private final String description;
  private final String tokenSource;

  private BenchTransport(ChannelCredentials credentials, String description, String tokenSource) {
    this.credentials = credentials;
    this.description = description;
    this.tokenSource = tokenSource;
  }

  static BenchTransport plaintext() {
    return new BenchTransport(InsecureChannelCredentials.create(), "plaintext", null);
  }

  /**
   * TLS, trusting {@code caFile} (null: the JVM's CAs), presenting {@code certFile} with {@code
   * keyFile} (both null: no client certificate).
   *
   * @throws IllegalArgumentException naming the option whose file cannot be used
   */
  static BenchTransport tls(Path caFile, Path certFile, Path keyFile) {
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException(
          (certFile == null
                  ? "--key-file is given without --cert-file"
                  : "--cert-file is given" + " without --key-file")
              + ": a client certificate needs both");
    }
    TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
    try {
      if (caFile != null) {
        tls.trustManager(readable(caFile, "--ca-file").toFile());
      }
      if (certFile != null) {
        tls.keyManager(
            readable(certFile, "--cert-file").toFile(), readable(keyFile, "--key-file").toFile());
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read a TLS file: " + e, e);
    }
    ChannelCredentials credentials = tls.build();
    try {
      Grpc.newChannelBuilder("localhost:1", credentials); // parses the files, connects nothing
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the TLS files cannot be used (--ca-file: PEM certificates; --cert-file: PEM"
              + " certificate; --key-file: unencrypted PEM PKCS#8, BEGIN PRIVATE KEY): "
              + e.getMessage(),
          e);
    }
    return new BenchTransport(
        credentials,
        "TLS (trusting "
            + (caFile == null ? "the JVM's CAs" : caFile)
            + (certFile == null ? ", no client certificate" : ", client certificate " + certFile)
            + ")",
        null);
  }

  /**
   * These credentials with {@code authorization: Bearer <token>} on every call and stream: the
   * token of {@code --token}, or the contents of {@code --token-file} (read now, surrounding white
   * space ignored). Both null: unchanged.
   *
   * @throws IllegalArgumentException naming the option that cannot be used
   */
  BenchTransport withToken(String token, Path tokenFile) {
    if (token != null && tokenFile != null) {
      throw new IllegalArgumentException(
          "--token and --token-file are both given: give the token one way");
    }
    if (token != null) {
      return withTokenValue(token.strip(), "--token");
    }
    return tokenFile == null ? this : withTokenFile(tokenFile, "--token-file");
  }

  /**
   * These credentials with the token held in {@code tokenFile} (read now, surrounding white space
   * ignored), given by {@code option}.
   *
   * @throws IllegalArgumentException naming the option that cannot be used
   */
  BenchTransport withTokenFile(Path tokenFile, String option) {
    try {
      return withTokenValue(
          Files.readString(readable(tokenFile, option), StandardCharsets.UTF_8).strip(), option);
    } catch (IOException e) {
      throw new IllegalArgumentException(option + " " + tokenFile + ": cannot read it: " + e, e);
    }
  }

  private BenchTransport withTokenValue(String value, String option) {
    if (value.isEmpty() || !value.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw new IllegalArgumentException(
          option + ": a token is visible ASCII without spaces, and not empty");
    }
    String source = "a bearer token (" + option + ")";
    return new BenchTransport(
        CompositeChannelCredentials.create(credentials, new BearerToken(value)),
        description + " with " + source,
        source);
  }

  /** Whether the channels speak plaintext HTTP/2, so the nodes' HTTP routes are plain HTTP too. */
  boolean speaksPlaintext() {
    ChannelCredentials channel =
        credentials instanceof CompositeChannelCredentials composite
            ? composite.getChannelCredentials()
            : credentials;
    return channel instanceof InsecureChannelCredentials;
  }

  /** Whether a token is sent on every call. */
  boolean hasToken() {
    return tokenSource != null;
  }

  /** "a bearer token (--token-file)": where the token came from, never the token; or null. */
  String tokenSource() {
    return tokenSource;
  }

  ChannelCredentials credentials() {
    return credentials;
  }

  @Override
  public String toString() {
    return description;
  }

  /** Sends one token on every call; the headers are built per call (grpc-java merges them). */
  private static final class BearerToken extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final String value;

    BearerToken(String token) {
      this.value = "Bearer " + token;
    }

    @Override
    public void applyRequestMetadata(
        RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, value);
      applier.apply(headers);
    }
  }

  private static Path readable(Path file, String option) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new IllegalArgumentException(
          option
              + " "
              + file
              + (Files.exists(file) ? " is not a file this user can read" : " does not exist"));
    }
    return file;
  }
}
