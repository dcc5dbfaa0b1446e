package io.ipnslink.p2p.security.noise;

import java.util.Arrays;
import java.util.Locale;

/**
 * Micro-benchmark (a main, not a test): ChaCha20-Poly1305 encrypt + decrypt throughput of Noise
 * transport messages through {@link CipherState}, for each {@link ChaChaPolyProvider}. Prints the
 * JDK version and MB/s of plaintext. Arguments: seconds per provider (default 10), then optionally
 * {@code jdk} / {@code bc} to pick providers, then {@code size=N} for the plaintext size (default
 * 65519, a full 65535-byte frame). Run from the project root after
 * {@code ./mvnw -q -o -pl ipns-link-p2p -am test-compile}:
 *
 * <pre>
 * BC=$(find ~/.m2/repository/org/bouncycastle -name 'bcprov-jdk18on-*.jar' | head -1)
 * java -cp ipns-link-p2p/target/test-classes:ipns-link-p2p/target/classes:$BC \
 *     io.ipnslink.p2p.security.noise.NoiseThroughputBench 10
 * </pre>
 */
public final class NoiseThroughputBench {
    private NoiseThroughputBench() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
        int size = NoiseTransportCodec.MAX_PLAINTEXT_LENGTH;
        java.util.List<ChaChaPolyProvider> providers = new java.util.ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].startsWith("size=")) {
                size = Integer.parseInt(args[i].substring(5));
                if (size < 0 || size > NoiseTransportCodec.MAX_PLAINTEXT_LENGTH) {
                    throw new IllegalArgumentException("size must be 0.." + NoiseTransportCodec.MAX_PLAINTEXT_LENGTH);
                }
            } else {
                providers.add(ChaChaPolyProvider.choose(args[i]));
            }
        }
        if (providers.isEmpty()) {
            providers.addAll(Arrays.asList(ChaChaPolyProvider.values()));
        }
        System.out.printf(Locale.ROOT, "JDK %s (%s %s), %s, %d-byte messages, %.0f s per provider, default provider here: %s%n",
                Runtime.version(), System.getProperty("java.vm.name"), System.getProperty("os.arch"),
                System.getProperty("java.vendor"), size, seconds, ChaChaPolyProvider.defaultProvider());
        for (ChaChaPolyProvider p : providers) {
            run(p, size, Math.min(2, seconds / 5), false); // warm-up
            run(p, size, seconds, true);
        }
    }

    private static void run(ChaChaPolyProvider provider, int size, double seconds, boolean print) throws Exception {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 42);
        CipherState enc = new CipherState(provider);
        CipherState dec = new CipherState(provider);
        enc.initializeKey(key);
        dec.initializeKey(key);
        byte[] plain = new byte[size];
        byte[] cipher = new byte[size + CipherState.TAG_LENGTH];
        byte[] back = new byte[size];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) i;
        }
        long frames = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        long now;
        do {
            for (int i = 0; i < 16; i++) {
                enc.encrypt(plain, 0, plain.length, cipher, 0);
                dec.decrypt(cipher, 0, cipher.length, back, 0);
            }
            frames += 16;
            now = System.nanoTime();
        } while (now < deadline);
        if (!Arrays.equals(back, plain)) {
            throw new AssertionError("round trip failed");
        }
        if (print) {
            double mb = frames * (double) size / 1e6;
            double s = (now - start) / 1e9;
            System.out.printf(Locale.ROOT, "%-13s %8.1f MB/s encrypt+decrypt, %.2f us per message pair (%d in %.1f s)%n",
                    provider, mb / s, s * 1e6 / frames, frames, s);
        }
    }
}
