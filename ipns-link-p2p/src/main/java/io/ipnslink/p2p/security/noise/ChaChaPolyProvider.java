package io.ipnslink.p2p.security.noise;

import java.util.Locale;

/**
 * Which ChaCha20-Poly1305 implementation Noise uses. Both produce identical bytes (the cacophony
 * vector test runs both); they differ in speed, and which one is faster depends on the JDK:
 * see {@link #defaultProvider()}.
 */
public enum ChaChaPolyProvider {
    /** The JDK's {@code ChaCha20-Poly1305} Cipher (intrinsified on x86_64 and aarch64 in recent JDKs). */
    JDK {
        @Override
        public ChaChaPoly create(byte[] key) {
            return new JdkChaChaPoly(key);
        }
    },
    /** BouncyCastle's pure-Java {@code ChaCha20Poly1305}. */
    BOUNCY_CASTLE {
        @Override
        public ChaChaPoly create(byte[] key) {
            return new BcChaChaPoly(key);
        }
    };

    /**
     * System property that overrides the default: {@code jdk} or {@code bc}. Read once, when this
     * class is initialised.
     */
    public static final String PROPERTY = "ipnslink.noise.cipher";

    private static final ChaChaPolyProvider DEFAULT = choose(System.getProperty(PROPERTY));

    /** A new cipher keyed with the 32-byte {@code key}. */
    public abstract ChaChaPoly create(byte[] key);

    /**
     * The implementation to use on this JVM: the value of {@link #PROPERTY} when set, else {@link
     * #JDK}. Measured with {@code NoiseThroughputBench} (encrypt + decrypt of 65519-byte frames, one
     * core, shared 2-core machine): JDK 17.0.15 JDK ~160-195 MB/s vs BouncyCastle 1.78.1 ~60-115 MB/s;
     * JDK 25.0.3 JDK ~1500-2000 MB/s (intrinsics) vs BouncyCastle ~60-120 MB/s. The JDK cipher wins
     * on both, so BouncyCastle is only an explicit choice. With 64-byte messages both cost about
     * 1.5 us per encrypt + decrypt pair on either JDK.
     */
    public static ChaChaPolyProvider defaultProvider() {
        return DEFAULT;
    }

    static ChaChaPolyProvider choose(String property) {
        if (property != null && !property.isBlank()) {
            switch (property.trim().toLowerCase(Locale.ROOT)) {
                case "jdk":
                    return JDK;
                case "bc":
                case "bouncycastle":
                    return BOUNCY_CASTLE;
                default:
                    throw new IllegalArgumentException(
                            "system property " + PROPERTY + " must be 'jdk' or 'bc', got '" + property + "'");
            }
        }
        return JDK;
    }
}
