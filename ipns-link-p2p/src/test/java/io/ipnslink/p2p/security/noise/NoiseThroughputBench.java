package io.ipnslink.p2p.security.noise;

import java.util.Arrays;
import java.util.Locale;

/**
 * Micro-benchmark (a main, not a test): ChaCha20-Poly1305 encrypt + decrypt throughput of full
 * Noise transport frames (65519 bytes of plaintext, 65535 on the wire) through {@link CipherState},
 * for each {@link ChaChaPolyProvider}. Prints the JDK version and MB/s of plaintext.
 *
 * <pre>
 * ./mvnw -q -o -pl ipns-link-p2p -am test-compile
 * java -cp "ipns-link-p2p/target/test-classes:ipns-link-p2p/target/classes:$(ls ~/.m2/repository/org/bouncycastle/bcprov-jdk18on/*&#47;bcprov-*.jar)" \
 *     io.ipnslink.p2p.security.noise.NoiseThroughputBench [seconds=10] [jdk|bc ...]
 * </pre>
 */
public final class NoiseThroughputBench {
    private static final int PLAINTEXT = NoiseTransportCodec.MAX_PLAINTEXT_LENGTH;

    private NoiseThroughputBench() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
        ChaChaPolyProvider[] providers = args.length > 1
                ? Arrays.stream(args, 1, args.length).map(a -> ChaChaPolyProvider.choose(a)).toArray(ChaChaPolyProvider[]::new)
                : ChaChaPolyProvider.values();
        System.out.printf(Locale.ROOT, "JDK %s (%s %s), %s, %d-byte frames, %.0f s per provider, default provider here: %s%n",
                Runtime.version(), System.getProperty("java.vm.name"), System.getProperty("os.arch"),
                System.getProperty("java.vendor"), PLAINTEXT, seconds, ChaChaPolyProvider.defaultProvider());
        for (ChaChaPolyProvider p : providers) {
            run(p, Math.min(2, seconds / 5), false); // warm-up
            run(p, seconds, true);
        }
    }

    private static void run(ChaChaPolyProvider provider, double seconds, boolean print) throws Exception {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 42);
        CipherState enc = new CipherState(provider);
        CipherState dec = new CipherState(provider);
        enc.initializeKey(key);
        dec.initializeKey(key);
        byte[] plain = new byte[PLAINTEXT];
        byte[] cipher = new byte[PLAINTEXT + CipherState.TAG_LENGTH];
        byte[] back = new byte[PLAINTEXT];
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
        if (back[1000] != plain[1000]) {
            throw new AssertionError("round trip failed");
        }
        if (print) {
            double mb = frames * (double) PLAINTEXT / 1e6;
            double s = (now - start) / 1e9;
            System.out.printf(Locale.ROOT, "%-13s %8.1f MB/s encrypt+decrypt (%d frames in %.1f s)%n",
                    provider, mb / s, frames, s);
        }
    }
}
