package io.ipnslink.tunnel.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * How the exposer checks the certificate of an {@code https://} origin. By default against the
 * JDK's trust store, with hostname verification against the origin URL's host (which is also the
 * SNI name); {@link #extraCas} adds the certificates of a private CA to that trust for this origin
 * ({@code --origin-ca FILE}); {@link #insecure} trusts any certificate and checks no name
 * ({@code --origin-insecure}, for self-signed development servers only).
 *
 * <p>The connection itself is Netty's {@link SslHandler} with the JDK provider; one
 * {@link SslContext} per origin pool, so a new connection to the same origin can resume the TLS
 * session of an earlier one.
 *
 * @param extraCas trust anchors added to the JDK's for this origin (at most {@link #MAX_CAS})
 * @param insecure trust any certificate, verify no name
 */
public record OriginTls(List<X509Certificate> extraCas, boolean insecure) {
    /** The JDK's trust store, hostname verification on. */
    public static final OriginTls DEFAULT = new OriginTls(List.of(), false);
    /** Most certificates in a CA file. */
    public static final int MAX_CAS = 64;
    /** Largest CA file read. */
    public static final int MAX_CA_FILE_BYTES = 1024 * 1024;

    public OriginTls {
        extraCas = List.copyOf(extraCas);
        if (extraCas.size() > MAX_CAS) {
            throw new IllegalArgumentException("at most " + MAX_CAS + " CA certificates");
        }
        if (insecure && !extraCas.isEmpty()) {
            throw new IllegalArgumentException("an insecure origin trusts any certificate: a CA file means nothing");
        }
    }

    /** Trust the certificates of {@code pemFile} in addition to the JDK's ({@link #readCas}). */
    public static OriginTls withCaFile(Path pemFile) throws IOException {
        return new OriginTls(readCas(pemFile), false);
    }

    /** Trust any certificate. */
    public static OriginTls trustingAnything() {
        return new OriginTls(List.of(), true);
    }

    /**
     * The X.509 certificates of a PEM (or DER) file.
     *
     * @throws IOException when the file cannot be read, is larger than {@link #MAX_CA_FILE_BYTES},
     *     holds no certificate or more than {@link #MAX_CAS}, or one that does not parse
     */
    public static List<X509Certificate> readCas(Path file) throws IOException {
        if (Files.size(file) > MAX_CA_FILE_BYTES) {
            throw new IOException(file + " is larger than " + MAX_CA_FILE_BYTES + " bytes");
        }
        byte[] bytes = Files.readAllBytes(file);
        List<X509Certificate> out = new ArrayList<>();
        try {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
                if (c instanceof X509Certificate x) {
                    out.add(x);
                }
                if (out.size() > MAX_CAS) {
                    throw new IOException(file + " holds more than " + MAX_CAS + " certificates");
                }
            }
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(file + " is not a PEM certificate file: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IOException(file + " holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    /** The client context of an origin pool: JDK provider, the trust described above. */
    SslContext clientContext() {
        try {
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
            if (insecure) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE);
            } else if (!extraCas.isEmpty()) {
                b.trustManager(withExtraCas(extraCas));
            }
            return b.build();
        } catch (SSLException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for the origin: " + e.getMessage(), e);
        }
    }

    /**
     * A TLS handler for a connection to {@code host:port}: SNI {@code host} (when it is a name, not
     * an IP literal), hostname verification against it unless insecure, and the
     * handshake bounded by {@code handshakeTimeoutMillis}.
     */
    SslHandler newHandler(SslContext context, ByteBufAllocator alloc, String host, int port, long handshakeTimeoutMillis) {
        SSLEngine engine = context.newEngine(alloc, host, port);
        SSLParameters p = engine.getSSLParameters();
        if (!isIpLiteral(host)) {
            // set explicitly: the JDK itself sends none for a name without a dot ("localhost")
            p.setServerNames(List.of(new SNIHostName(host)));
        }
        if (!insecure) {
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        engine.setSSLParameters(p);
        SslHandler handler = new SslHandler(engine);
        handler.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        return handler;
    }

    /** An IPv4 or IPv6 literal (a URI's host keeps IPv6 in brackets): no SNI for it (RFC 6066 section 3). */
    static boolean isIpLiteral(String host) {
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || host.indexOf(':') >= 0 || host.startsWith("[");
    }

    /** The JDK's trust anchors and {@code extra} in one trust manager factory (hostname checks stay the JDK's). */
    private static TrustManagerFactory withExtraCas(List<X509Certificate> extra) throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            ks.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        int i = 0;
        for (X509Certificate c : jdkAnchors()) {
            ks.setCertificateEntry("jdk-" + i++, c);
        }
        i = 0;
        for (X509Certificate c : extra) {
            ks.setCertificateEntry("origin-ca-" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf;
    }

    private static List<X509Certificate> jdkAnchors() throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        List<X509Certificate> out = new ArrayList<>();
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                out.addAll(List.of(x.getAcceptedIssuers()));
            }
        }
        return out;
    }
}
