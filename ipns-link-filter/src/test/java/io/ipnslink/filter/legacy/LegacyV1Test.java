package io.ipnslink.filter.legacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading legacy v1 pages: the gpg-made vector, pages made with BouncyCastle, and hostile ones. */
class LegacyV1Test {
    static final String VECTOR_KEY_ID = "k51qzi5uqu5dl2yuywj3sd81mqn5xiehr3vdytry5lkcly40fc2qi4pdbd0yzb";
    static final String VECTOR_LISTENER = "12D3KooWMUvp9cL13sLkL74EG89J846KxSJ2mfZk8GwyLRYpvNJ8";

    @Test
    void theGpgVectorDecryptsToItsPlaintext() {
        LegacyPage page = LegacyPage.parse(LegacyPages.resource("index.html")).orElseThrow();
        assertTrue(page.ciphertext().startsWith("m"), page.ciphertext());
        assertEquals(List.of(), page.trustedGateways());
        assertArrayEquals(LegacyPages.resource("manifest.json"), LegacyCipher.decrypt(page.ciphertext()));
    }

    @Test
    void theTestJsonIsJqsOutput() {
        Map<String, Object> m = LegacyPages.manifest(List.of("/ip4/127.0.0.1/tcp/27415", "/ip4/127.0.0.1/udp/27415/quic"),
                VECTOR_LISTENER, "mysite", null);
        assertEquals(new String(LegacyPages.resource("manifest.json"), StandardCharsets.UTF_8),
                new String(LegacyPages.json(m), StandardCharsets.UTF_8));
    }

    @Test
    void theGpgVectorAsARecordValue() {
        String value = LegacyPages.value(LegacyPages.resource("index.html"));
        assertTrue(value.startsWith("/ipfs/bafyab"), value); // CIDv1 dag-pb identity, as ipfs add -Q printed it
        LegacySite site = LegacySite.read(value).orElseThrow();
        LegacyManifest v1 = site.v1();
        assertEquals(List.of("/ip4/127.0.0.1/tcp/27415", "/ip4/127.0.0.1/udp/27415/quic"), v1.routes());
        assertEquals(PeerId.parse(VECTOR_LISTENER), v1.peer());
        assertEquals("mysite", v1.host());
        assertNull(v1.onFail());
        assertNull(v1.cache());
        assertNull(v1.stream());
        Manifest m = site.manifest();
        assertEquals(PeerId.parse(VECTOR_LISTENER), m.peer());
        assertEquals(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/27415")), m.addresses()); // the QUIC route is left out
        assertEquals("mysite", m.host());
        assertNull(m.onfail());
        assertEquals("/x/ipns-link/" + VECTOR_KEY_ID, LegacyManifest.protocol(IpnsName.parse(VECTOR_KEY_ID)));
        // the file node alone (no wrapping directory) reads the same
        assertEquals(v1, LegacySite.read(LegacyPages.fileValue(LegacyPages.resource("index.html"))).orElseThrow().v1());
    }

    @Test
    void aPageMadeWithBouncyCastleHasEveryField() {
        PeerId listener = Ed25519PrivKey.generate().peerId();
        PeerId relay = Ed25519PrivKey.generate().peerId();
        IpnsName other = IpnsName.of(Ed25519PrivKey.generate().peerId());
        Map<String, Object> m = LegacyPages.manifest(List.of("/ip4/203.0.113.7/tcp/4001/p2p/" + relay + "/p2p-circuit",
                "/ip4/198.51.100.1/tcp/4001/p2p/" + listener, "/ip6/2001:db8::1/tcp/4001"), listener.toString(),
                "blog.example:8080", "https://status.example/down");
        ((Map<String, Object>) m.get("cache")).put("path", "/static/");
        ((Map<String, Object>) m.get("cache")).put("CID", "bafkqaaa");
        ((Map<String, Object>) m.get("stream")).put("path", "/live/");
        ((Map<String, Object>) m.get("stream")).put("keyID", other.toString());
        byte[] page = LegacyPages.page(VECTOR_KEY_ID, LegacyPages.multibase(LegacyPages.encrypt(LegacyPages.json(m),
                "ipns-link", LegacyPages.FAST_S2K_COUNT)), List.of("https://gw1.example", "", "https://gw2.example"));
        LegacySite site = LegacySite.read(LegacyPages.value(page)).orElseThrow();
        assertEquals(List.of("https://gw1.example", "https://gw2.example"), site.page().trustedGateways());
        assertEquals(new LegacyManifest.Entry("/static/", "bafkqaaa"), site.v1().cache());
        assertEquals(new LegacyManifest.Entry("/live/", other.toString()), site.v1().stream());
        Manifest gm = site.manifest();
        // direct routes first (the listener's own /p2p/ID cut), then the circuit
        assertEquals(List.of(Multiaddr.parse("/ip4/198.51.100.1/tcp/4001"), Multiaddr.parse("/ip6/2001:db8::1/tcp/4001"),
                Multiaddr.parse("/ip4/203.0.113.7/tcp/4001/p2p/" + relay + "/p2p-circuit")), gm.addresses());
        assertEquals("blog.example:8080", gm.host());
        assertEquals("https://status.example/down", gm.onfail());
        assertEquals(List.of(new Manifest.StaticEntry("/static/", "bafkqaaa")), gm.statics());
        assertEquals(List.of(new Manifest.StreamEntry("/live/", other.toString())), gm.streams());
    }

    @Test
    void aKeyNameThatIsNoHostGivesTheNameAsHost() {
        LegacyManifest v1 = LegacyManifest.parse(LegacyPages.json(LegacyPages.manifest(List.of(),
                Ed25519PrivKey.generate().peerId().toString(), "my site", null)));
        assertEquals("my site", v1.host());
        assertNull(v1.validHost());
        assertNull(v1.toManifest().host());
        assertEquals(List.of(), v1.toManifest().addresses());
    }

    @Test
    void aWrongPassphraseIsAClearError() {
        byte[] page = LegacyPages.page(VECTOR_KEY_ID, manifest(), "a private passphrase", LegacyPages.FAST_S2K_COUNT);
        LegacyException e = assertThrows(LegacyException.class, () -> LegacySite.read(LegacyPages.value(page)));
        assertTrue(e.getMessage().contains("does not decrypt with the passphrase"), e.getMessage());
    }

    @Test
    void everyTruncationAndEveryFlippedByteOfTheMessageIsAClearError() {
        byte[] message = LegacyPages.encrypt(LegacyPages.json(manifest()), "ipns-link", LegacyPages.FAST_S2K_COUNT);
        for (int n = 0; n < message.length; n++) {
            byte[] cut = Arrays.copyOf(message, n);
            assertThrows(LegacyException.class, () -> LegacyCipher.decryptBinary(cut, "ipns-link"), "cut at " + n);
        }
        for (int i = 0; i < message.length; i++) {
            byte[] flipped = message.clone();
            flipped[i] ^= 0x5a;
            try {
                byte[] plain = LegacyCipher.decryptBinary(flipped, "ipns-link");
                // a flip in a length or header byte may still decrypt (gpg agrees); never to other bytes
                assertArrayEquals(LegacyPages.json(manifest()), plain, "flipped at " + i);
            } catch (LegacyException expected) {
                // the usual outcome
            }
        }
    }

    @Test
    void notMultibaseOrNotOpenPgpIsAClearError() {
        assertThrows(LegacyException.class, () -> LegacyCipher.decrypt("not multibase at all!"));
        assertThrows(LegacyException.class, () -> LegacyCipher.decrypt("m" + "AAAA"));
        assertThrows(LegacyException.class, () -> LegacyCipher.decrypt(LegacyPages.multibase(
                "-----BEGIN PGP MESSAGE-----".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void aCompressionBombStopsAtTheLimit() {
        // 64 MiB of zeros: about 64 KiB compressed; the reader inflates 16 KiB and stops
        byte[] bomb = LegacyPages.encrypt(out -> {
            byte[] zeros = new byte[1 << 16];
            for (int i = 0; i < 1024; i++) {
                out.write(zeros);
            }
        }, "ipns-link", LegacyPages.FAST_S2K_COUNT, true, true);
        LegacyException e = assertThrows(LegacyException.class, () -> LegacyCipher.decryptBinary(bomb, "ipns-link"));
        assertTrue(e.getMessage().contains("above the " + LegacyCipher.MAX_PLAINTEXT_BYTES + "-byte limit"), e.getMessage());
    }

    @Test
    void aBombInsideAPageIsAClearError() {
        // 2 MiB of spaces in the JSON compress to a page under every page limit
        byte[] plain = new byte[2 << 20];
        Arrays.fill(plain, (byte) ' ');
        plain[0] = '{';
        plain[plain.length - 1] = '}';
        byte[] page = LegacyPages.page(VECTOR_KEY_ID, LegacyPages.multibase(LegacyPages.encrypt(plain, "ipns-link",
                LegacyPages.FAST_S2K_COUNT)), List.of());
        assertTrue(page.length < 10 * 1024, "page of " + page.length + " bytes");
        LegacyException e = assertThrows(LegacyException.class, () -> LegacySite.read(LegacyPages.value(page)));
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    @Test
    void withoutIntegrityProtectionOrCompressedTwiceIsRefused() {
        byte[] noMdc = LegacyPages.encrypt(out -> out.write(LegacyPages.json(manifest())), "ipns-link",
                LegacyPages.FAST_S2K_COUNT, true, false);
        LegacyException e = assertThrows(LegacyException.class, () -> LegacyCipher.decryptBinary(noMdc, "ipns-link"));
        assertTrue(e.getMessage().contains("integrity"), e.getMessage());
    }

    @Test
    void anArgon2PassphrasePacketIsRefusedBeforeAnyKeyIsDerived() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        org.bouncycastle.openpgp.PGPEncryptedDataGenerator gen = new org.bouncycastle.openpgp.PGPEncryptedDataGenerator(
                new org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder(
                        org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags.AES_128).setWithIntegrityPacket(true));
        gen.addMethod(new org.bouncycastle.openpgp.operator.bc.BcPBEKeyEncryptionMethodGenerator("ipns-link".toCharArray(),
                new org.bouncycastle.bcpg.S2K.Argon2Params(1, 1, 10, new java.security.SecureRandom())));
        java.io.OutputStream enc = gen.open(out, new byte[1024]);
        java.io.OutputStream lit = new org.bouncycastle.openpgp.PGPLiteralDataGenerator().open(enc,
                org.bouncycastle.openpgp.PGPLiteralData.BINARY, "", 2, new java.util.Date());
        lit.write("{}".getBytes(StandardCharsets.US_ASCII));
        lit.close();
        enc.close();
        LegacyException e = assertThrows(LegacyException.class, () -> LegacyCipher.decryptBinary(out.toByteArray(),
                "ipns-link"));
        assertTrue(e.getMessage().contains("S2K type 4"), e.getMessage());
    }

    @Test
    void valuesThatAreNoLegacyPageAreNotLegacy() {
        byte[] plainPage = "<html><body>just a page</body></html>\n".getBytes(StandardCharsets.UTF_8);
        assertTrue(LegacySite.read(LegacyPages.value(plainPage)).isEmpty());
        assertTrue(LegacySite.read("/ipfs/bafkqaaa").isEmpty());
        assertTrue(LegacySite.read("/ipfs/QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB").isEmpty());
        assertTrue(LegacySite.read("/ipns/" + VECTOR_KEY_ID).isEmpty());
        assertTrue(LegacySite.read("/ipfs/not-a-cid").isEmpty());
        // a raw identity CID (our own redirect pages) with the markers is not the original's format either
        assertTrue(LegacySite.read("/ipfs/" + io.ipnslink.core.multiformats.Multibase.encode(
                io.ipnslink.core.multiformats.Multibase.Base.BASE32, LegacyPages.identityCid(0x71,
                        LegacyPages.resource("index.html")))).isEmpty());
        // a directory without index.html
        byte[] file = LegacyPages.pbNode(null, LegacyPages.unixfs(2, LegacyPages.resource("index.html")));
        byte[] dir = LegacyPages.pbNode(LegacyPages.link(LegacyPages.identityCid(0x70, file), "other.html", file.length),
                LegacyPages.unixfs(1, null));
        assertTrue(LegacySite.read("/ipfs/" + io.ipnslink.core.multiformats.Multibase.encode(
                io.ipnslink.core.multiformats.Multibase.Base.BASE32, LegacyPages.identityCid(0x70, dir))).isEmpty());
        // every truncation of the directory's bytes: not legacy or a clear error, nothing else
        byte[] good = LegacyPages.identityCid(0x70, LegacyPages.pbNode(LegacyPages.link(LegacyPages.identityCid(0x70, file),
                "index.html", file.length), LegacyPages.unixfs(1, null)));
        for (int n = 0; n < good.length; n++) {
            String value = "/ipfs/" + io.ipnslink.core.multiformats.Multibase.encode(
                    io.ipnslink.core.multiformats.Multibase.Base.BASE32, Arrays.copyOf(good, n));
            try {
                LegacySite.read(value);
            } catch (LegacyException expected) {
                // fine: a clear error
            }
        }
    }

    @Test
    void brokenCommentBlocksAreClearErrors() {
        String open = "\n<!--ipns-link--\nmAAAA\n";
        assertThrows(LegacyException.class, () -> LegacyPage.parse(open.getBytes(StandardCharsets.UTF_8)));
        String empty = "\n<!--ipns-link--\n\n--ipns-link-->\n";
        assertThrows(LegacyException.class, () -> LegacyPage.parse(empty.getBytes(StandardCharsets.UTF_8)));
        String upper = "\n<!--IPNS-Link--\nmAAAA\n--IPNS-Link-->\n"; // the spec's spelling; the gateway's sed never matched it
        assertTrue(LegacyPage.parse(upper.getBytes(StandardCharsets.UTF_8)).isEmpty());
        byte[] huge = new byte[LegacyPage.MAX_PAGE_BYTES + 1];
        assertThrows(LegacyException.class, () -> LegacyPage.parse(huge));
        String longLine = "\n<!--ipns-link--\nm" + "A".repeat(LegacyPage.MAX_CIPHERTEXT_CHARS) + "\n--ipns-link-->\n";
        assertThrows(LegacyException.class, () -> LegacyPage.parse(longLine.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void badJsonIsAClearErrorNamingTheField() {
        String id = Ed25519PrivKey.generate().peerId().toString();
        assertMessage("not JSON", "{\"multiaddress\": ");
        assertMessage("not a JSON object", "[1,2]");
        assertMessage("no \"multiaddress\"", "{}");
        assertMessage("multiaddress.ID", "{\"multiaddress\": {\"route\": []}}");
        assertMessage("not a peer id", "{\"multiaddress\": {\"ID\": \"nope\"}}");
        assertMessage("route is not an array", "{\"multiaddress\": {\"ID\": \"" + id + "\", \"route\": \"/ip4/1.2.3.4/tcp/1\"}}");
        assertMessage("route[] is not a string", "{\"multiaddress\": {\"ID\": \"" + id + "\", \"route\": [1]}}");
        assertMessage("at most " + LegacyManifest.MAX_ROUTES, "{\"multiaddress\": {\"ID\": \"" + id + "\", \"route\": ["
                + String.join(",", java.util.Collections.nCopies(LegacyManifest.MAX_ROUTES + 1, "\"/ip4/1.2.3.4/tcp/1\""))
                + "]}}");
        assertMessage("on_fail", "{\"on_fail\": \"javascript:alert(1)\", \"multiaddress\": {\"ID\": \"" + id + "\"}}");
        assertMessage("host is not a string", "{\"host\": 7, \"multiaddress\": {\"ID\": \"" + id + "\"}}");
        assertMessage("cache is not an object", "{\"cache\": [], \"multiaddress\": {\"ID\": \"" + id + "\"}}");
        // unknown fields are ignored (the original's "local" was deleted before publishing)
        assertEquals(PeerId.parse(id), LegacyManifest.parse(("{\"local\": {\"endpoint\": \"x\"}, \"multiaddress\": {\"ID\": \""
                + id + "\"}}").getBytes(StandardCharsets.UTF_8)).peer());
    }

    private static void assertMessage(String part, String json) {
        LegacyException e = assertThrows(LegacyException.class,
                () -> LegacyManifest.parse(json.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    private static Map<String, Object> manifest() {
        return LegacyPages.manifest(List.of("/ip4/127.0.0.1/tcp/4001"), Ed25519PrivKey.generate().peerId().toString(),
                "mysite", null);
    }
}
