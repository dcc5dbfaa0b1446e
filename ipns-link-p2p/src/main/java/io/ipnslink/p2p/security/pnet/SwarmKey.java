package io.ipnslink.p2p.security.pnet;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The pre-shared key of a libp2p private network (libp2p/specs {@code pnet/Private-Networks-PSK-V1.md}):
 * 32 bytes that every peer of the network holds. The key file, as go-libp2p, Kubo and js-libp2p
 * read and write it, is three lines: {@value #HEADER}, the encoding ({@code /base16/},
 * {@code /base64/} or {@code /bin/}), then the key in that encoding.
 *
 * <p>Parsing is strict: at most {@value #MAX_FILE_BYTES} bytes, exactly 32 key bytes (trailing
 * white space allowed), otherwise an {@link IllegalArgumentException} that says what is wrong. The
 * key never appears in {@link #toString()}; {@link #fingerprint()} identifies it in logs.
 */
public final class SwarmKey {
    /** First line of a key file. */
    public static final String HEADER = "/key/swarm/psk/1.0.0/";
    /** Key length in bytes. */
    public static final int KEY_BYTES = 32;
    /** Largest key file read (a base16 key file has 95 or 96 bytes). */
    public static final int MAX_FILE_BYTES = 1024;

    private final byte[] key;

    private SwarmKey(byte[] key) {
        this.key = key;
    }

    /** A key from its 32 raw bytes (copied). */
    public static SwarmKey of(byte[] key) {
        if (key == null || key.length != KEY_BYTES) {
            throw new IllegalArgumentException("a swarm key has " + KEY_BYTES + " bytes, not "
                    + (key == null ? "none" : key.length));
        }
        return new SwarmKey(key.clone());
    }

    /** A new random key. */
    public static SwarmKey generate() {
        return generate(new SecureRandom());
    }

    public static SwarmKey generate(SecureRandom random) {
        byte[] k = new byte[KEY_BYTES];
        random.nextBytes(k);
        return new SwarmKey(k);
    }

    /** Reads a key file (at most {@value #MAX_FILE_BYTES} bytes). */
    public static SwarmKey read(Path file) throws IOException {
        byte[] content;
        try (InputStream in = Files.newInputStream(file)) {
            content = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        try {
            return parse(content);
        } catch (IllegalArgumentException e) {
            throw new IOException("swarm key file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the content of a key file. */
    public static SwarmKey parse(byte[] file) {
        if (file.length > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("not a swarm key: longer than " + MAX_FILE_BYTES + " bytes");
        }
        int[] pos = {0};
        String header = line(file, pos);
        if (header == null || !header.equals(HEADER)) {
            throw new IllegalArgumentException("not a swarm key: the first line must be " + HEADER);
        }
        String encoding = line(file, pos);
        if (encoding == null) {
            throw new IllegalArgumentException("swarm key without encoding line (/base16/, /base64/ or /bin/)");
        }
        byte[] rest = Arrays.copyOfRange(file, pos[0], file.length);
        byte[] k = switch (encoding) {
            case "/base16/" -> base16(text(rest));
            case "/base64/" -> base64(text(rest));
            case "/bin/" -> bin(rest);
            default -> throw new IllegalArgumentException("unknown swarm key encoding " + printable(encoding)
                    + " (expected /base16/, /base64/ or /bin/)");
        };
        if (k.length != KEY_BYTES) {
            throw new IllegalArgumentException("a swarm key has " + KEY_BYTES + " bytes, this one " + k.length);
        }
        return new SwarmKey(k);
    }

    /** The next line without its CR/LF; null at the end. */
    private static String line(byte[] file, int[] pos) {
        if (pos[0] >= file.length) {
            return null;
        }
        int start = pos[0];
        int end = start;
        while (end < file.length && file[end] != '\n') {
            end++;
        }
        pos[0] = Math.min(file.length, end + 1);
        int stop = end;
        if (stop > start && file[stop - 1] == '\r') {
            stop--;
        }
        return new String(file, start, stop - start, StandardCharsets.US_ASCII);
    }

    private static String text(byte[] rest) {
        return new String(rest, StandardCharsets.US_ASCII).strip();
    }

    private static byte[] base16(String s) {
        if (s.length() != 2 * KEY_BYTES) {
            throw new IllegalArgumentException("a base16 swarm key has " + 2 * KEY_BYTES + " hex digits, this one "
                    + s.length() + " characters");
        }
        try {
            return HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the base16 swarm key is not hexadecimal");
        }
    }

    private static byte[] base64(String s) {
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the base64 swarm key is not base64");
        }
    }

    private static byte[] bin(byte[] rest) {
        if (rest.length == KEY_BYTES + 1 && rest[KEY_BYTES] == '\n') {
            return Arrays.copyOf(rest, KEY_BYTES);
        }
        if (rest.length == KEY_BYTES + 2 && rest[KEY_BYTES] == '\r' && rest[KEY_BYTES + 1] == '\n') {
            return Arrays.copyOf(rest, KEY_BYTES);
        }
        return rest;
    }

    private static String printable(String s) {
        String cut = s.length() > 32 ? s.substring(0, 32) + "..." : s;
        return "'" + cut.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }

    /** The key file text: header, {@code /base16/}, the key in lower-case hex, each line ending in LF. */
    public byte[] encode() {
        return (HEADER + "\n/base16/\n" + HexFormat.of().formatHex(key) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The 32 key bytes (a copy). */
    public byte[] bytes() {
        return key.clone();
    }

    /**
     * 16 hex digits of SHA-256 of the key: the same on peers with the same key, safe to log and to
     * compare by eye; says nothing useful about the key.
     */
    public String fingerprint() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key);
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SwarmKey other && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "SwarmKey{" + fingerprint() + "}";
    }
}
