package io.roster.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority for TLS tests, and the certificates it issues, written as PEM
 * files the way an operator's would be: the certificate (a chain of one) and a PKCS#8 private key,
 * in files of their own. Keys are EC P-256 (fast to make); nothing is ever written outside the
 * directories the test gives, and no key is checked in.
 *
 * <p>Server certificates name {@code localhost} and {@code 127.0.0.1}, so clients that check the
 * host name accept them on loopback. Every certificate has a random serial number, so a test can
 * tell which one a server presented.
 *
 * <p>Thread-safe: issuing only reads the CA's key.
 */
public final class TestCertificates {

  /** How long issued certificates are valid; they start an hour ago, against clock skew. */
  private static final Duration VALIDITY = Duration.ofDays(1);

  private static final SecureRandom random = new SecureRandom();

  private final X500Name name;
  private final KeyPair keys;
  private final X509Certificate certificate;
  private final Path caFile;

  private TestCertificates(X500Name name, KeyPair keys, X509Certificate certificate, Path caFile) {
    this.name = name;
    this.keys = keys;
    this.certificate = certificate;
    this.caFile = caFile;
  }

  /** A certificate and its key, as written to {@code certFile} and {@code keyFile}. */
  public record Issued(
      Path certFile,
      Path keyFile,
      X509Certificate certificate,
      PrivateKey privateKey,
      BigInteger serial,
      String subject) {}

  /** A new CA named {@code CN=commonName}, its certificate written to {@code dir/ca.pem}. */
  public static TestCertificates createCa(Path dir, String commonName) {
    X500Name name = new X500Name("CN=" + commonName);
    KeyPair keys = newKeyPair();
    Instant now = Instant.now();
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              serial(),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(VALIDITY)),
              name,
              keys.getPublic());
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .addExtension(
              Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(
              Extension.subjectKeyIdentifier,
              false,
              extensions.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate certificate = sign(builder, keys.getPrivate());
      Path caFile = dir.resolve("ca.pem");
      writeAtomically(caFile, pem("CERTIFICATE", certificate.getEncoded()));
      return new TestCertificates(name, keys, certificate, caFile);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot create a test CA", e);
    }
  }

  /** The PEM file of this CA's certificate: what clients trust, or a node's client CA. */
  public Path caFile() {
    return caFile;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * A server certificate for {@code CN=commonName}, {@code localhost} and {@code 127.0.0.1},
   * written to {@code dir/<commonName>.pem} and {@code .key}.
   */
  public Issued issueServer(Path dir, String commonName) {
    return issueServer(
        commonName, dir.resolve(commonName + ".pem"), dir.resolve(commonName + ".key"));
  }

  /**
   * A server certificate written to the given files, each replaced atomically (as a careful
   * rotation does: a reader sees the old file or the new one, never half of one).
   */
  public Issued issueServer(String commonName, Path certFile, Path keyFile) {
    return issue(commonName, certFile, keyFile, KeyPurposeId.id_kp_serverAuth, VALIDITY);
  }

  /** A server certificate whose validity ended an hour ago. */
  public Issued issueExpiredServer(Path dir, String commonName) {
    return issue(
        commonName,
        dir.resolve(commonName + ".pem"),
        dir.resolve(commonName + ".key"),
        KeyPurposeId.id_kp_serverAuth,
        Duration.ofHours(-1));
  }

  /** A client certificate for {@code CN=commonName}, in {@code dir/<commonName>.pem} and key. */
  public Issued issueClient(Path dir, String commonName) {
    return issue(
        commonName,
        dir.resolve(commonName + ".pem"),
        dir.resolve(commonName + ".key"),
        KeyPurposeId.id_kp_clientAuth,
        VALIDITY);
  }

  private Issued issue(
      String commonName, Path certFile, Path keyFile, KeyPurposeId purpose, Duration validFor) {
    X500Name subject = new X500Name("CN=" + commonName);
    KeyPair leaf = newKeyPair();
    BigInteger serial = serial();
    Instant now = Instant.now();
    Instant notAfter = now.plus(validFor);
    Instant notBefore = validFor.isNegative() ? notAfter.minus(VALIDITY) : now.minusSeconds(3600);
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name, serial, Date.from(notBefore), Date.from(notAfter), subject, leaf.getPublic());
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(
              Extension.keyUsage,
              true,
              new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
          .addExtension(
              Extension.subjectKeyIdentifier,
              false,
              extensions.createSubjectKeyIdentifier(leaf.getPublic()))
          .addExtension(
              Extension.authorityKeyIdentifier,
              false,
              extensions.createAuthorityKeyIdentifier(certificate));
      if (purpose.equals(KeyPurposeId.id_kp_serverAuth)) {
        builder.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(
                List.of(
                        new GeneralName(GeneralName.dNSName, "localhost"),
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1"))
                    .toArray(GeneralName[]::new)));
      }
      X509Certificate issued = sign(builder, keys.getPrivate());
      writeAtomically(certFile, pem("CERTIFICATE", issued.getEncoded()));
      writeAtomically(keyFile, pem("PRIVATE KEY", leaf.getPrivate().getEncoded()));
      return new Issued(
          certFile,
          keyFile,
          issued,
          leaf.getPrivate(),
          serial,
          issued.getSubjectX500Principal().getName());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot issue a test certificate for " + commonName, e);
    }
  }

  /**
   * A client's TLS context: trusts this CA only, and presents {@code clientCertificate} when a
   * server asks for one (null: none).
   */
  public SSLContext clientContext(Issued clientCertificate) {
    try {
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      trusted.setCertificateEntry("ca", certificate);
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trusted);
      KeyManager[] keyManagers = null;
      if (clientCertificate != null) {
        char[] password = "test".toCharArray();
        KeyStore own = KeyStore.getInstance("PKCS12");
        own.load(null, null);
        own.setKeyEntry(
            "client",
            clientCertificate.privateKey(),
            password,
            new Certificate[] {clientCertificate.certificate()});
        KeyManagerFactory keys =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(own, password);
        keyManagers = keys.getKeyManagers();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers, trust.getTrustManagers(), random);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a client TLS context", e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 key generator in this JDK", e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(63, random).add(BigInteger.ONE);
  }

  /** PEM text: base64 in 64-character lines between BEGIN and END lines. */
  public static String pem(String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  /** The certificate as PEM text. */
  public static String pem(X509Certificate certificate) {
    try {
      return pem("CERTIFICATE", certificate.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes {@code text} to a file beside {@code file}, then moves it over {@code file}. */
  public static void writeAtomically(Path file, String text) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path temporary = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
      Files.writeString(temporary, text);
      Files.move(
          temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
