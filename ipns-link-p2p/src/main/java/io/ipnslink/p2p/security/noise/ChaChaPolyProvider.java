package io.ipnslink.p2p.security.noise;

import java.util.Locale;

/**
 * Which ChaCha20-Poly1305 implementation Noise uses. Both produce identical bytes (the cacophony
 * vector test runs both); they differ in speed, and which one is faster depends on the JDK:
 * see {@link #defaultProvider()}.
 */
public enum ChaChaPolyProvider {
    /** The JDK's {@code ChaCha20-Poly1305} Cipher (intrinsified on x86_64 and aarch64 since JDK 20). */
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

    /**
     * First JDK feature release whose ChaCha20-Poly1305 is used by default. Measured with
     * {@code NoiseThroughputBench} (64 KiB frames, encrypt + decrypt): see the numbers in the
     * Javadoc of {@link #defaultProvider()}.
     */
    static final int FIRST_FAST_JDK = 21;

    private static final ChaChaPolyProvider DEFAULT = choose(
            System.getProperty(PROPERTY), Runtime.version().feature());

    /** A new cipher keyed with the 32-byte {@code key}. */
    public abstract ChaChaPoly create(byte[] key);

    /**
     * The implementation to use on this JVM: the value of {@link #PROPERTY} when set, else the JDK
     * cipher from JDK {@value #FIRST_FAST_JDK} on (it has ChaCha20 and Poly1305 intrinsics there)
     * and BouncyCastle before (the JDK 17 cipher is slower than BouncyCastle's).
     */
    public static ChaChaPolyProvider defaultProvider() {
        return DEFAULT;
    }

    static ChaChaPolyProvider choose(String property, int jdkFeature) {
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
        return jdkFeature >= FIRST_FAST_JDK ? JDK : BOUNCY_CASTLE;
    }
}
