package io.roster.node.dashboard;

import io.grpc.Status;
import io.roster.node.api.http.HttpErrors;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The dashboard's files (HTML, CSS, JavaScript modules, an icon), shipped in the jar under {@code
 * dashboard/} and read into memory once at start: serving one never touches the disk or the class
 * loader on an event loop, and nothing is fetched from elsewhere, so the pages work on a network
 * with no way out.
 *
 * <p>Every answer carries a Content-Security-Policy that allows this node only (no other origin for
 * scripts, styles, images or connections; no inline script; no framing), {@code nosniff}, and an
 * ETag with {@code cache-control: no-cache}: a browser keeps the files but asks each time whether
 * they changed (a 304 is a few bytes), so a node upgraded in place never serves a stale mix of old
 * and new modules. The files hold no data: the data routes ({@link DashboardApi}) check callers.
 *
 * <p>Immutable once constructed; used on any event loop.
 */
final class DashboardAssets {

  /** Every file of {@code dashboard/}; DashboardAssetsTest checks the list is the directory. */
  static final List<String> FILES =
      List.of(
          "index.html",
          "dashboard.css",
          "favicon.svg",
          "app.js",
          "api.js",
          "format.js",
          "cluster.js",
          "services.js",
          "service.js",
          "watch.js");

  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final Map<String, Asset> assets = new HashMap<>();

  private record Asset(byte[] bytes, String contentType, String etag) {}

  DashboardAssets() {
    for (String file : FILES) {
      byte[] bytes = read("dashboard/" + file);
      assets.put(file, new Asset(bytes, contentType(file), etag(bytes)));
    }
  }

  /** Answers a request for {@code /ui}, {@code /ui/} or {@code /ui/<file>}. */
  void serve(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      HttpErrors.refuseMethod(request, List.of(HttpMethod.GET, HttpMethod.HEAD));
      return;
    }
    String path = request.path();
    if (path.equals(Dashboard.PREFIX)) {
      // Relative links in the page resolve against /ui/, not /.
      response.setStatusCode(301).putHeader("location", Dashboard.PREFIX + "/").end();
      return;
    }
    String name = path.substring(Dashboard.PREFIX.length() + 1);
    Asset asset = assets.get(name.isEmpty() ? "index.html" : name);
    if (asset == null) {
      HttpErrors.refuse(
          response,
          404,
          Status.Code.NOT_FOUND,
          "no dashboard file " + path + "; the dashboard is at " + Dashboard.PREFIX + "/");
      return;
    }
    response
        .putHeader("content-security-policy", CONTENT_SECURITY_POLICY)
        .putHeader("x-content-type-options", "nosniff")
        .putHeader("referrer-policy", "no-referrer")
        .putHeader("cache-control", "no-cache")
        .putHeader("etag", asset.etag());
    if (asset.etag().equals(request.getHeader("if-none-match"))) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader("content-type", asset.contentType());
    if (request.method() == HttpMethod.HEAD) {
      response.putHeader("content-length", Integer.toString(asset.bytes().length)).end();
    } else {
      response.end(Buffer.buffer(asset.bytes()));
    }
  }

  static String contentType(String file) {
    String extension = file.substring(file.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    return switch (extension) {
      case "html" -> "text/html; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      case "js" -> "text/javascript; charset=utf-8";
      case "svg" -> "image/svg+xml";
      default -> throw new IllegalArgumentException("no content type for dashboard file " + file);
    };
  }

  private static byte[] read(String resource) {
    try (InputStream in = DashboardAssets.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks " + resource + ": rebuild it");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\""
          + Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(java.util.Arrays.copyOf(digest, 12))
          + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
