package io.ipnslink.core.testing;

import java.security.MessageDigest;
import java.security.MessageDigestSpi;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts how often given bytes were hashed with SHA-256 anywhere in the JVM: a JCA provider put
 * first in line for {@code MessageDigest.getInstance("SHA-256")} that delegates to the JDK's and
 * counts every digest it computes by its result. Tests ask {@link #count(byte[])} with the digest
 * of a block to learn how many times that block's bytes were hashed (other hashing in the JVM -
 * handshakes, other tests - has other results and does not disturb the count). Used with
 * try-with-resources: {@link #close} takes the provider out again.
 */
public final class CountingSha256 implements AutoCloseable {
    private static final String NAME = "IpnsLinkCountingSha256";
    private static final Map<String, AtomicInteger> COUNTS = new ConcurrentHashMap<>();

    private CountingSha256() {}

    /** Puts the counting provider first (once per JVM at a time) and forgets earlier counts. */
    public static synchronized CountingSha256 install() {
        COUNTS.clear();
        if (Security.getProvider(NAME) == null) {
            Security.insertProviderAt(new CountingProvider(), 1);
        }
        return new CountingSha256();
    }

    /** How many SHA-256 digests computed since {@link #install} came out as {@code digest}. */
    public int count(byte[] digest) {
        AtomicInteger n = COUNTS.get(HexFormat.of().formatHex(digest));
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        synchronized (CountingSha256.class) {
            Security.removeProvider(NAME);
        }
    }

    private static final class CountingProvider extends Provider {
        CountingProvider() {
            super(NAME, "1.0", "counts SHA-256 digests (tests)");
            putService(new Service(this, "MessageDigest", "SHA-256", CountingSpi.class.getName(), null, null) {
                @Override
                public Object newInstance(Object constructorParameter) {
                    return new CountingSpi();
                }
            });
        }
    }

    /** The JDK's SHA-256, counted. */
    private static final class CountingSpi extends MessageDigestSpi {
        private final MessageDigest real;

        CountingSpi() {
            try {
                real = MessageDigest.getInstance("SHA-256", "SUN");
            } catch (NoSuchAlgorithmException | java.security.NoSuchProviderException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected void engineUpdate(byte input) {
            real.update(input);
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int len) {
            real.update(input, offset, len);
        }

        @Override
        protected byte[] engineDigest() {
            byte[] d = real.digest();
            COUNTS.computeIfAbsent(HexFormat.of().formatHex(d), k -> new AtomicInteger()).incrementAndGet();
            return Arrays.copyOf(d, d.length);
        }

        @Override
        protected void engineReset() {
            real.reset();
        }

        @Override
        protected int engineGetDigestLength() {
            return 32;
        }
    }
}
