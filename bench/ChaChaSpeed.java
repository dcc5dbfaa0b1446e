import java.nio.ByteBuffer;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The JDK's own ChaCha20-Poly1305 speed on one core (the target of the 1 GiB download figure):
 * encrypts Noise-sized messages (65,519 bytes of plaintext + 16 bytes of tag = the 65,535-byte
 * Noise maximum) with a fresh nonce each, on one thread, after a warm-up.
 * Run as a single-file source program: {@code java bench/ChaChaSpeed.java [seconds]}.
 * Prints {@code CHACHA mb_per_s=<MB/s (10^6 bytes) of plaintext>}.
 */
public final class ChaChaSpeed {
    private static final int NOISE_PLAINTEXT_MAX = 65_535 - 16;

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3.0;
        Cipher cipher = Cipher.getInstance("ChaCha20-Poly1305");
        SecretKeySpec key = new SecretKeySpec(new byte[32], "ChaCha20");
        byte[] plain = new byte[NOISE_PLAINTEXT_MAX];
        byte[] out = new byte[NOISE_PLAINTEXT_MAX + 16];
        byte[] nonce = new byte[12];
        long counter = 0;
        long warmupEnd = System.nanoTime() + 1_000_000_000L;
        long bytes = 0;
        long start = 0;
        boolean measuring = false;
        long end = Long.MAX_VALUE;
        while (true) {
            long now = System.nanoTime();
            if (!measuring && now >= warmupEnd) {
                measuring = true;
                start = now;
                end = now + (long) (seconds * 1e9);
                bytes = 0;
            }
            if (measuring && now >= end) {
                double mbps = bytes / ((now - start) / 1e9) / 1e6;
                System.out.printf("CHACHA mb_per_s=%.1f%n", mbps);
                return;
            }
            ByteBuffer.wrap(nonce, 4, 8).putLong(counter++);
            cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
            cipher.doFinal(plain, 0, plain.length, out, 0);
            bytes += plain.length;
        }
    }
}
