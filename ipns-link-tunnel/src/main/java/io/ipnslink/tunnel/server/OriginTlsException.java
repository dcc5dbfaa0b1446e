package io.ipnslink.tunnel.server;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;

/**
 * A TLS connection to an {@code https://} origin could not be set up: the handshake failed or did
 * not complete in time. {@link #getMessage} names the reason in words an operator can act on
 * (expired, not yet valid, not trusted, wrong host name, timeout); the exchange answers it with
 * {@link io.ipnslink.tunnel.TunnelErrors#ORIGIN_TLS}.
 */
final class OriginTlsException extends java.io.IOException {
    private OriginTlsException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The exception for a failed handshake with {@code host}, its reason found in {@code cause}'s chain. */
    static OriginTlsException of(Throwable cause, String host, long handshakeTimeoutMillis) {
        return new OriginTlsException(reason(cause, host, handshakeTimeoutMillis), cause);
    }

    static String reason(Throwable cause, String host, long handshakeTimeoutMillis) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof io.netty.handler.ssl.SslHandshakeTimeoutException) {
                return "TLS handshake did not complete within " + handshakeTimeoutMillis + " ms";
            }
            if (t instanceof CertificateExpiredException) {
                return "certificate expired (" + t.getMessage() + ")";
            }
            if (t instanceof CertificateNotYetValidException) {
                return "certificate not yet valid (" + t.getMessage() + ")";
            }
            if (t instanceof CertPathBuilderException) {
                return "certificate not trusted: no path to a trusted CA (a private CA: --origin-ca FILE)";
            }
            String m = t.getMessage();
            if (t instanceof java.security.cert.CertificateException && m != null
                    && (m.startsWith("No subject alternative") || m.startsWith("No name matching"))) {
                return "certificate does not match the host name " + host + " (" + m + ")";
            }
        }
        String m = cause.getMessage();
        return "TLS handshake failed: " + (m == null ? cause.getClass().getSimpleName() : m);
    }
}
