package io.roster.node.tls;

import io.roster.node.config.ConfigException;
import io.roster.node.config.NodeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * The API port's TLS files as read at one moment, checked, and turned into Vert.x options that hold
 * their contents (not their paths, so what was checked is what is served).
 *
 * <p>Checked before anything is served: the chain file holds certificates, the key file a private
 * key Vert.x can load that belongs to the first certificate, the first certificate is within its
 * validity, and the client CA file (when given) holds certificates. Each refusal is a {@link
 * ConfigException} naming the key of the file at fault and what to do.
 *
 * <p>Immutable and thread-safe.
 */
public final class TlsMaterial {

  private final NodeConfig.Tls config;
  private final Contents contents;
  private final List<X509Certificate> chain;
  private final List<X509Certificate> clientCas;

  private TlsMaterial(
      NodeConfig.Tls config,
      Contents contents,
      List<X509Certificate> chain,
      List<X509Certificate> clientCas) {
    this.config = config;
    this.contents = contents;
    this.chain = List.copyOf(chain);
    this.clientCas = List.copyOf(clientCas);
  }

  /**
   * The bytes of the three files, unchecked.
   *
   * @param fingerprint SHA-256 of all three, to tell one set of contents from another
   */
  public record Contents(byte[] certChain, byte[] privateKey, byte[] clientCa, String fingerprint) {

    /**
     * Reads the files {@code config} names.
     *
     * @throws ConfigException naming the key of a file that is missing or unreadable
     */
    public static Contents read(NodeConfig.Tls config) {
      byte[] certChain = readFile("api.tls.cert-chain-file", config.certChainFile());
      byte[] privateKey = readFile("api.tls.private-key-file", config.privateKeyFile());
      byte[] clientCa =
          config.clientCaFile() == null
              ? new byte[0]
              : readFile("api.tls.client-ca-file", config.clientCaFile());
      try {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (byte[] file : List.of(certChain, privateKey, clientCa)) {
          digest.update(ByteBuffer.allocate(4).putInt(file.length).array());
          digest.update(file);
        }
        return new Contents(
            certChain, privateKey, clientCa, HexFormat.of().formatHex(digest.digest()));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
    }
  }

  /**
   * Reads and checks the files {@code config} names.
   *
   * @param vertx the node's Vert.x, which loads the private key exactly as it will when serving
   * @throws ConfigException naming the key of the file that is missing, unreadable or wrong
   */
  public static TlsMaterial read(NodeConfig.Tls config, Vertx vertx) {
    return check(config, vertx, Contents.read(config));
  }

  /** What the files held when this was read. */
  public Contents contents() {
    return contents;
  }

  /** The certificate the node presents (the first of the chain). */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** TLS on with these contents, for a server's first listen. */
  public HttpServerOptions applyTo(HttpServerOptions options) {
    return options
        .setSsl(true)
        .setUseAlpn(true)
        .setKeyCertOptions(keyCert())
        .setTrustOptions(trust())
        .setClientAuth(clientAuth());
  }

  /**
   * The same as {@link #applyTo}, for {@code HttpServer.updateSSLOptions} on a listening server.
   */
  public ServerSSLOptions sslOptions() {
    return new ServerSSLOptions()
        .setUseAlpn(true)
        .setKeyCertOptions(keyCert())
        .setTrustOptions(trust())
        .setClientAuth(clientAuth());
  }

  /**
   * One line for the log: the certificate (subject, serial, expiry) and what is asked of clients.
   */
  public String describe() {
    X509Certificate leaf = certificate();
    StringBuilder text =
        new StringBuilder("certificate \"")
            .append(leaf.getSubjectX500Principal().getName())
            .append("\" serial ")
            .append(leaf.getSerialNumber().toString(16))
            .append(" valid until ")
            .append(leaf.getNotAfter().toInstant())
            .append(", client certificates ");
    switch (config.clientAuth()) {
      case NONE -> text.append("not asked for");
      case REQUEST -> text.append("optional");
      case REQUIRE -> text.append("required");
    }
    if (!clientCas.isEmpty()) {
      List<String> names = new ArrayList<>();
      for (X509Certificate ca : clientCas) {
        names.add("\"" + ca.getSubjectX500Principal().getName() + "\"");
      }
      text.append(" (trusted issuers ").append(String.join(", ", names)).append(')');
    }
    return text.toString();
  }

  private PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions()
        .setCertValue(Buffer.buffer(contents.certChain()))
        .setKeyValue(Buffer.buffer(contents.privateKey()));
  }

  /** The client CA; null when client certificates are not asked for. */
  private PemTrustOptions trust() {
    return clientCas.isEmpty()
        ? null
        : new PemTrustOptions().addCertValue(Buffer.buffer(contents.clientCa()));
  }

  private ClientAuth clientAuth() {
    return switch (config.clientAuth()) {
      case NONE -> ClientAuth.NONE;
      case REQUEST -> ClientAuth.REQUEST;
      case REQUIRE -> ClientAuth.REQUIRED;
    };
  }

  /**
   * Checks contents read before.
   *
   * @throws ConfigException naming the key of the file that is wrong
   */
  public static TlsMaterial check(NodeConfig.Tls config, Vertx vertx, Contents contents) {
    String chainKey = "api.tls.cert-chain-file";
    List<X509Certificate> chain =
        certificates(chainKey, config.certChainFile(), contents.certChain());
    X509Certificate leaf = chain.get(0);
    Instant now = Instant.now();
    if (leaf.getNotAfter().toInstant().isBefore(now)) {
      throw new ConfigException(
          chainKey
              + ": the certificate in "
              + config.certChainFile()
              + " (\""
              + leaf.getSubjectX500Principal().getName()
              + "\") expired at "
              + leaf.getNotAfter().toInstant()
              + ": issue a new one");
    }
    PrivateKey key = privateKey(config, vertx, contents.certChain(), contents.privateKey());
    if (!belongTogether(key, leaf.getPublicKey())) {
      throw new ConfigException(
          "api.tls.private-key-file: the key in "
              + config.privateKeyFile()
              + " does not belong to the certificate in "
              + config.certChainFile()
              + " (\""
              + leaf.getSubjectX500Principal().getName()
              + "\"): give the key the certificate was issued for. When rotating, replace both"
              + " files; the node keeps the old pair until they match");
    }
    List<X509Certificate> cas =
        config.clientCaFile() == null
            ? List.of()
            : certificates("api.tls.client-ca-file", config.clientCaFile(), contents.clientCa());
    return new TlsMaterial(config, contents, chain, cas);
  }

  private static byte[] readFile(String key, Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(key + ": cannot read " + file.toAbsolutePath() + ": " + e);
    }
  }

  private static List<X509Certificate> certificates(String key, Path file, byte[] pem) {
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem))) {
        certificates.add((X509Certificate) certificate);
      }
    } catch (CertificateException e) {
      throw new ConfigException(
          key
              + ": "
              + file.toAbsolutePath()
              + " is not a PEM certificate file (-----BEGIN CERTIFICATE-----): "
              + e.getMessage());
    }
    if (certificates.isEmpty()) {
      throw new ConfigException(
          key
              + ": "
              + file.toAbsolutePath()
              + " holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)");
    }
    return Collections.unmodifiableList(certificates);
  }

  /** The key as Vert.x loads it: PKCS#8, PKCS#1 RSA or SEC1 EC PEM. */
  private static PrivateKey privateKey(
      NodeConfig.Tls config, Vertx vertx, byte[] certChain, byte[] privateKey) {
    try {
      PemKeyCertOptions options =
          new PemKeyCertOptions()
              .setCertValue(Buffer.buffer(certChain))
              .setKeyValue(Buffer.buffer(privateKey));
      KeyStore store = options.loadKeyStore(vertx);
      for (KeyManager manager : options.getKeyManagerFactory(vertx).getKeyManagers()) {
        if (manager instanceof X509KeyManager x509) {
          for (String alias : Collections.list(store.aliases())) {
            PrivateKey key = x509.getPrivateKey(alias);
            if (key != null) {
              return key;
            }
          }
        }
      }
      throw new GeneralSecurityException("no private key in the file");
    } catch (Exception e) {
      throw new ConfigException(
          "api.tls.private-key-file: cannot load a private key from "
              + config.privateKeyFile().toAbsolutePath()
              + " (expected an unencrypted PEM key: -----BEGIN PRIVATE KEY-----, or RSA or EC"
              + " PRIVATE KEY): "
              + e.getMessage());
    }
  }

  /**
   * Signs with {@code key} and verifies with {@code publicKey}: true when they are a pair. A key
   * type this cannot sign with is let through when its algorithm matches; the handshake decides.
   */
  private static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    String algorithm =
        switch (key.getAlgorithm().toUpperCase(Locale.ROOT)) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "ED25519", "EDDSA" -> "Ed25519";
          case "ED448" -> "Ed448";
          default -> null;
        };
    if (algorithm == null) {
      return true;
    }
    try {
      byte[] probe = "roster tls key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
