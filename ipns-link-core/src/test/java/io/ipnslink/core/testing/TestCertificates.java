package io.ipnslink.core.testing;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * X.509 certificates for tests of TLS origins, made with BouncyCastle's
 * {@link X509v3CertificateBuilder} (EC P-256 keys, SHA-256): a CA, server certificates it signs
 * (valid, expired, for another name) and self-signed ones. Names that parse as IP literals go into
 * the subject alternative names as IP addresses, others as DNS names.
 */
public final class TestCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestCertificates() {}

    /** A certificate and its private key. */
    public record Issued(X509Certificate cert, PrivateKey key) {
        /** The certificate in PEM. */
        public String pem() {
            return TestCertificates.pem(cert);
        }

        /** Writes the certificate as PEM to {@code file}. */
        public Path writePem(Path file) throws IOException {
            return Files.writeString(file, pem());
        }
    }

    /** A CA valid from a day ago for a year. */
    public static Issued ca(String commonName) {
        KeyPair kp = keyPair();
        Instant now = Instant.now();
        return build(new X500Name("CN=" + commonName), kp, kp.getPrivate(), new X500Name("CN=" + commonName),
                now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)), true, List.of());
    }

    /** A server certificate for {@code names} signed by {@code ca}, valid from a day ago for a year. */
    public static Issued server(Issued ca, String... names) {
        Instant now = Instant.now();
        return server(ca, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)), names);
    }

    /** A server certificate for {@code names} signed by {@code ca}, valid between the two instants. */
    public static Issued server(Issued ca, Instant notBefore, Instant notAfter, String... names) {
        KeyPair kp = keyPair();
        X500Name issuer = new X500Name(ca.cert().getSubjectX500Principal().getName());
        return build(new X500Name("CN=" + names[0]), kp, ca.key(), issuer, notBefore, notAfter, false, List.of(names));
    }

    /** A self-signed server certificate for {@code names}. */
    public static Issued selfSigned(String... names) {
        KeyPair kp = keyPair();
        Instant now = Instant.now();
        X500Name subject = new X500Name("CN=" + names[0]);
        return build(subject, kp, kp.getPrivate(), subject, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)),
                false, List.of(names));
    }

    /** PEM of certificates, one block each. */
    public static String pem(X509Certificate... certs) {
        StringBuilder b = new StringBuilder();
        for (X509Certificate c : certs) {
            try {
                b.append("-----BEGIN CERTIFICATE-----\n")
                        .append(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(c.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return b.toString();
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Issued build(X500Name subject, KeyPair kp, PrivateKey signer, X500Name issuer, Instant notBefore,
            Instant notAfter, boolean ca, List<String> names) {
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM).abs().add(BigInteger.ONE),
                    Date.from(notBefore), Date.from(notAfter), subject, kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
                List<GeneralName> alt = new ArrayList<>();
                for (String n : names) {
                    alt.add(new GeneralName(isIp(n) ? GeneralName.iPAddress : GeneralName.dNSName, n));
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alt.toArray(GeneralName[]::new)));
            }
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
            return new Issued(cert, kp.getPrivate());
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a test certificate: " + e.getMessage(), e);
        }
    }

    private static boolean isIp(String n) {
        return n.matches("\\d{1,3}(\\.\\d{1,3}){3}") || n.contains(":");
    }
}
