package io.roster.client.internal;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The bearer token of a client, sent as {@code authorization: Bearer <token>} on every call and
 * stream. It is given to each channel as grpc-java {@link CallCredentials}, so no call path can
 * leave it out.
 *
 * <p>A token is given as a value, or as a file that is read again when it changes (its modification
 * time or size), so a rotated token is sent from the next call on without a restart. A change that
 * cannot be used (an empty or unreadable file, caught halfway through a rewrite) keeps the token
 * read last and is logged once, without its contents. The token itself is never logged: {@link
 * #toString} says only where it comes from.
 *
 * <p>Threading: thread-safe. grpc-java calls {@link #applyRequestMetadata} on transport threads; a
 * file is checked on the call's executor instead, since it touches the disk.
 */
public final class BearerToken extends CallCredentials {

  private static final System.Logger log = System.getLogger(BearerToken.class.getName());

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** The token read last, with what its file looked like then (null stamps for a given token). */
  private record Read(String token, FileTime modified, long size) {}

  private final Path file; // null: a token given as a value
  private final String source; // the setting that gave the token, for messages
  private volatile Read read;
  private volatile boolean refusalLogged;

  private BearerToken(Path file, String source, Read read) {
    this.file = file;
    this.source = source;
    this.read = read;
  }

  /**
   * A token given as a value.
   *
   * @param source the setting it comes from, for messages ("token", "--token", "ROSTER_TOKEN")
   * @throws IllegalArgumentException when it cannot be sent in a header
   */
  public static BearerToken of(String token, String source) {
    return new BearerToken(null, source, new Read(check(token, source), null, -1));
  }

  /**
   * A token read from {@code file} now, and again whenever the file changes.
   *
   * @param source the setting that names the file, for messages ("tokenFile", "--token-file")
   * @throws IllegalArgumentException naming {@code source} when the file cannot be read or holds no
   *     usable token
   */
  public static BearerToken fromFile(Path file, String source) {
    Objects.requireNonNull(file, source);
    try {
      return new BearerToken(file, source, readFile(file, source));
    } catch (IOException e) {
      throw new IllegalArgumentException(source + " " + file + ": cannot read it: " + e, e);
    }
  }

  /**
   * {@code token} without surrounding white space (a file usually ends with a newline), checked: an
   * HTTP header carries it, so it must be visible ASCII without spaces, as RFC 6750 tokens are.
   *
   * @throws IllegalArgumentException naming {@code source}, never showing the token
   */
  public static String check(String token, String source) {
    String stripped = token == null ? "" : token.strip();
    if (stripped.isEmpty()) {
      throw new IllegalArgumentException(source + " is empty: give the token the operator issued");
    }
    for (int i = 0; i < stripped.length(); i++) {
      char c = stripped.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new IllegalArgumentException(
            source
                + " holds a character a header cannot carry (at "
                + i
                + "): a token is visible ASCII without spaces");
      }
    }
    return stripped;
  }

  @Override
  public void applyRequestMetadata(
      RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    if (file == null) {
      applier.apply(headers(read.token));
      return;
    }
    appExecutor.execute(
        () -> {
          try {
            applier.apply(headers(current()));
          } catch (RuntimeException e) {
            applier.fail(
                Status.UNAUTHENTICATED
                    .withDescription("cannot read the token of " + source + " " + file)
                    .withCause(e));
          }
        });
  }

  /** The token to send now: the file's, read again if it changed since. */
  String current() {
    Read last = read;
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      long size = Files.size(file);
      if (modified.equals(last.modified) && size == last.size) {
        return last.token;
      }
      Read next = readFile(file, source);
      read = next;
      if (refusalLogged) {
        refusalLogged = false;
        log.log(System.Logger.Level.INFO, "{0} {1} holds a usable token again", source, file);
      }
      return next.token;
    } catch (IOException | IllegalArgumentException e) {
      if (!refusalLogged) {
        refusalLogged = true;
        log.log(
            System.Logger.Level.WARNING,
            "{0} {1} changed but cannot be used, sending the token read before: {2}",
            source,
            file,
            e instanceof IOException ? e.toString() : e.getMessage());
      }
      return last.token;
    }
  }

  private static Read readFile(Path file, String source) throws IOException {
    // Stamped before reading: a change during the read is seen at the next call.
    FileTime modified = Files.getLastModifiedTime(file);
    long size = Files.size(file);
    String token =
        check(new String(Files.readAllBytes(file), StandardCharsets.UTF_8), source + " " + file);
    return new Read(token, modified, size);
  }

  private static Metadata headers(String token) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    return headers;
  }

  @Override
  public String toString() {
    return file == null ? "a bearer token (" + source + ")" : "the bearer token in " + file;
  }
}
