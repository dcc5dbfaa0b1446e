package io.ipnslink.p2p.security.pnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key file format of libp2p private networks: what Kubo, go-libp2p and js-libp2p write, and bad files. */
class SwarmKeyTest {
    /** The example of the @libp2p/pnet README. */
    static final String HEX = "dffb7e3135399a8b1612b2aaca1c36a3a8ac2cd0cca51ceeb2ced87d308cac6d";

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String error(String file) {
        return assertThrows(IllegalArgumentException.class, () -> SwarmKey.parse(ascii(file))).getMessage();
    }

    @Test
    void readsBase16AsKuboAndJsWriteIt() {
        SwarmKey k = SwarmKey.parse(ascii("/key/swarm/psk/1.0.0/\n/base16/\n" + HEX));
        assertArrayEquals(HexFormat.of().parseHex(HEX), k.bytes());
        // with a final newline (ipfs-swarm-key-gen), CRLF lines, upper-case hex
        assertEquals(k, SwarmKey.parse(ascii("/key/swarm/psk/1.0.0/\n/base16/\n" + HEX + "\n")));
        assertEquals(k, SwarmKey.parse(ascii("/key/swarm/psk/1.0.0/\r\n/base16/\r\n" + HEX.toUpperCase() + "\r\n")));
    }

    @Test
    void readsBase64AndBin() {
        byte[] raw = HexFormat.of().parseHex(HEX);
        SwarmKey k = SwarmKey.of(raw);
        assertEquals(k, SwarmKey.parse(ascii("/key/swarm/psk/1.0.0/\n/base64/\n"
                + Base64.getEncoder().encodeToString(raw) + "\n")));
        byte[] head = ascii("/key/swarm/psk/1.0.0/\n/bin/\n");
        byte[] bin = new byte[head.length + 32];
        System.arraycopy(head, 0, bin, 0, head.length);
        System.arraycopy(raw, 0, bin, head.length, 32);
        assertEquals(k, SwarmKey.parse(bin));
        // a key whose bytes include '\n' and '\r' stays intact in /bin/
        byte[] tricky = new byte[32];
        tricky[0] = '\n';
        tricky[31] = '\r';
        byte[] file = new byte[head.length + 32];
        System.arraycopy(head, 0, file, 0, head.length);
        System.arraycopy(tricky, 0, file, head.length, 32);
        assertArrayEquals(tricky, SwarmKey.parse(file).bytes());
    }

    @Test
    void encodeIsTheBase16FileAndRoundTrips() {
        SwarmKey k = SwarmKey.generate();
        String text = new String(k.encode(), StandardCharsets.US_ASCII);
        assertTrue(text.startsWith("/key/swarm/psk/1.0.0/\n/base16/\n"), text);
        assertTrue(text.endsWith("\n"));
        assertEquals(95 + 1, text.length());
        assertEquals(k, SwarmKey.parse(k.encode()));
        assertNotEquals(k, SwarmKey.generate());
    }

    @Test
    void badFilesGetClearErrors() {
        assertTrue(error("").contains("first line must be /key/swarm/psk/1.0.0/"));
        assertTrue(error("/key/swarm/psk/2.0.0/\n/base16/\n" + HEX).contains("first line"));
        assertTrue(error("/key/swarm/psk/1.0.0/").contains("without encoding line"));
        assertTrue(error("/key/swarm/psk/1.0.0/\n/base58/\n" + HEX).contains("unknown swarm key encoding '/base58/'"));
        assertTrue(error("/key/swarm/psk/1.0.0/\n/base16/\n" + HEX.substring(2)).contains("64 hex digits"));
        assertTrue(error("/key/swarm/psk/1.0.0/\n/base16/\n" + HEX + "00").contains("64 hex digits"));
        assertTrue(error("/key/swarm/psk/1.0.0/\n/base16/\n" + HEX.replace('d', 'x')).contains("not hexadecimal"));
        assertTrue(error("/key/swarm/psk/1.0.0/\n/base16/\n" + HEX + "\ntrailing").contains("hex digits"));
        assertTrue(error("/key/swarm/psk/1.0.0/\n/base64/\n!!!!").contains("not base64"));
        assertTrue(error("/key/swarm/psk/1.0.0/\n/base64/\nAAAA").contains("32 bytes, this one 3"));
        assertTrue(error("/key/swarm/psk/1.0.0/\n/bin/\nshort").contains("32 bytes, this one 5"));
        assertTrue(error("/key/swarm/psk/1.0.0/\n/base16/\n" + HEX + " ".repeat(2000)).contains("longer than 1024"));
        assertThrows(IllegalArgumentException.class, () -> SwarmKey.of(new byte[31]));
    }

    @Test
    void readLimitsTheFileAndNamesIt(@TempDir Path dir) throws IOException {
        Path ok = dir.resolve("swarm.key");
        SwarmKey k = SwarmKey.generate();
        Files.write(ok, k.encode());
        assertEquals(k, SwarmKey.read(ok));
        Path big = dir.resolve("big.key");
        Files.write(big, new byte[10 * 1024 * 1024]);
        IOException e = assertThrows(IOException.class, () -> SwarmKey.read(big));
        assertTrue(e.getMessage().contains(big.toString()) && e.getMessage().contains("longer than"), e.getMessage());
    }

    @Test
    void toStringShowsAFingerprintNotTheKey() {
        SwarmKey k = SwarmKey.parse(ascii("/key/swarm/psk/1.0.0/\n/base16/\n" + HEX));
        assertFalse(k.toString().contains(HEX.substring(0, 8)), k.toString());
        assertEquals(16, k.fingerprint().length());
        assertEquals(k.fingerprint(), SwarmKey.of(k.bytes()).fingerprint());
        assertNotEquals(k.fingerprint(), SwarmKey.generate().fingerprint());
    }
}
