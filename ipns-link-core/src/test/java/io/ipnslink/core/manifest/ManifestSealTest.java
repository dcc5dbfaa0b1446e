package io.ipnslink.core.manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.cbor.CborDecoder;
import io.ipnslink.core.cbor.CborEncoder;
import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.RsaPrivKey;
import io.ipnslink.core.crypto.Secp256k1PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsValidator;
import io.ipnslink.core.multiformats.Multiaddr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The allow-list ({@code w}) and the sealed part ({@code e}) of the manifest: codec, crypto, limits, sizes. */
class ManifestSealTest {
    static final PrivKey GW_A = Ed25519PrivKey.fromSeed(HexFormat.of().parseHex(
            "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"));
    static final PrivKey GW_B = Ed25519PrivKey.fromSeed(HexFormat.of().parseHex(
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"));
    static final PrivKey GW_C = Ed25519PrivKey.fromSeed(HexFormat.of().parseHex(
            "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c"));

    static Manifest allowed() {
        return ManifestTest.full().withAllowedGateways(List.of(GW_A.peerId(), GW_B.peerId()));
    }

    static Manifest sealed(boolean hostToo) {
        return ManifestSeal.seal(allowed(), ManifestTest.SITE, List.of(GW_A.peerId(), GW_B.peerId()), hostToo);
    }

    // ---- the recipient key

    @Test
    void recipientKeyMatchesLibsodiumsConversion() {
        // libsodium test/default/ed25519_convert: crypto_sign_seed_keypair(seed) then *_to_curve25519
        PrivKey k = Ed25519PrivKey.fromSeed(HexFormat.of().parseHex(
                "421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee"));
        assertEquals("f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50",
                HexFormat.of().formatHex(RecipientKey.x25519PublicKey(k.peerId())));
        assertArrayEquals(RecipientKey.x25519PublicKey(k.peerId()), RecipientKey.of(k).publicKey());
    }

    @Test
    void publicKeyFromThePeerIdMatchesThePrivateKeysOwn() {
        for (int i = 0; i < 20; i++) {
            PrivKey k = Ed25519PrivKey.generate();
            assertArrayEquals(RecipientKey.of(k).publicKey(), RecipientKey.x25519PublicKey(k.peerId()));
        }
    }

    @Test
    void onlyEd25519IdentitiesCanBeRecipients() {
        PeerId rsa = RsaPrivKey.generate(2048).peerId();
        var e = assertThrows(ManifestException.class, () -> RecipientKey.x25519PublicKey(rsa));
        assertTrue(e.getMessage().contains("Ed25519"), e.getMessage());
        PeerId k1 = Secp256k1PrivKey.generate().peerId();
        assertThrows(ManifestException.class, () -> RecipientKey.x25519PublicKey(k1));
        assertThrows(ManifestException.class, () -> RecipientKey.of(Secp256k1PrivKey.generate()));
        assertThrows(ManifestException.class, () -> ManifestSeal.seal(allowed(), ManifestTest.SITE, List.of(rsa), false));
    }

    // ---- allow-list

    @Test
    void allowListRoundTripsAndStaysVersion1() {
        Manifest m = allowed();
        byte[] bytes = m.encode();
        assertEquals(m, Manifest.decode(bytes));
        CborValue.Map map = (CborValue.Map) CborDecoder.decode(bytes);
        assertEquals(CborValue.integer(1), map.get("v").orElseThrow());
        assertTrue(map.containsKey("w"));
        assertTrue(m.admits(GW_A.peerId()));
        assertFalse(m.admits(GW_C.peerId()));
        assertTrue(ManifestTest.full().admits(GW_C.peerId()), "no list: every gateway");
        assertFalse(ManifestTest.full().encode().length > bytes.length - 2 * 38);
    }

    @Test
    void allowListLimitsAndTypes() {
        List<PeerId> nine = new ArrayList<>();
        for (int i = 0; i <= Manifest.MAX_ALLOWED_GATEWAYS; i++) {
            nine.add(Ed25519PrivKey.generate().peerId());
        }
        assertThrows(ManifestException.class, () -> ManifestTest.full().withAllowedGateways(nine));
        Manifest eight = ManifestTest.full().withAllowedGateways(nine.subList(0, Manifest.MAX_ALLOWED_GATEWAYS));
        assertEquals(eight, Manifest.decode(eight.encode()));
        assertThrows(ManifestException.class,
                () -> ManifestTest.full().withAllowedGateways(List.of(GW_A.peerId(), GW_A.peerId())));
        // over the count on the wire
        List<CborValue> raw = new ArrayList<>();
        for (PeerId p : nine) {
            raw.add(CborValue.bytes(p.bytes()));
        }
        var e = assertThrows(ManifestException.class, () -> Manifest.fromCbor(put(allowed(), "w", new CborValue.Array(raw))));
        assertTrue(e.getMessage().contains("allowed gateways"), e.getMessage());
        e = assertThrows(ManifestException.class, () -> Manifest.fromCbor(put(allowed(), "w", CborValue.text("x"))));
        assertTrue(e.getMessage().contains("field w"), e.getMessage());
        e = assertThrows(ManifestException.class,
                () -> Manifest.fromCbor(put(allowed(), "w", CborValue.Array.of(CborValue.text("12D3KooW")))));
        assertTrue(e.getMessage().contains("allowed gateway 0"), e.getMessage());
        e = assertThrows(ManifestException.class,
                () -> Manifest.fromCbor(put(allowed(), "w", CborValue.Array.of(CborValue.bytes(new byte[] {1, 2, 3})))));
        assertTrue(e.getMessage().contains("not a peer id"), e.getMessage());
    }

    // ---- sealing

    @Test
    void sealedManifestRoundTripsAndOpensForEachRecipient() {
        Manifest s = sealed(false);
        assertEquals(2, s.version());
        assertTrue(s.addresses().isEmpty());
        assertEquals(ManifestTest.full().host(), s.host(), "host stays clear unless asked");
        byte[] bytes = s.encode();
        Manifest decoded = Manifest.decode(bytes);
        assertEquals(s, decoded);
        CborValue.Map map = (CborValue.Map) CborDecoder.decode(bytes);
        assertEquals(CborValue.integer(2), map.get("v").orElseThrow());
        for (PrivKey gw : List.of(GW_A, GW_B)) {
            Manifest open = ManifestSeal.open(decoded, ManifestTest.SITE, RecipientKey.of(gw));
            assertEquals(allowed(), open);
            assertNull(open.sealed());
        }
        assertTrue(s.admits(GW_A.peerId()));
        assertFalse(s.admits(GW_C.peerId()));
        // not sealed: open is the identity
        assertEquals(allowed(), ManifestSeal.open(allowed(), ManifestTest.SITE, RecipientKey.of(GW_C)));
    }

    @Test
    void hostAndGatewaysCanBeSealedToo() {
        Manifest s = sealed(true);
        assertNull(s.host());
        assertTrue(s.gateways().isEmpty());
        assertFalse(new String(s.encode(), java.nio.charset.StandardCharsets.ISO_8859_1).contains("gw.example"));
        assertEquals(allowed(), ManifestSeal.open(Manifest.decode(s.encode()), ManifestTest.SITE, RecipientKey.of(GW_B)));
    }

    @Test
    void eachSealUsesAFreshKey() {
        assertNotEquals(sealed(false), sealed(false));
        assertFalse(Arrays.equals(sealed(false).sealed().ciphertext(), sealed(false).sealed().ciphertext()));
    }

    @Test
    void aNonRecipientCannotOpenIt() {
        var e = assertThrows(ManifestSeal.NotRecipientException.class,
                () -> ManifestSeal.open(sealed(false), ManifestTest.SITE, RecipientKey.of(GW_C)));
        assertTrue(e.getMessage().contains("sealed to other gateways"), e.getMessage());
    }

    @Test
    void aKeyWrappedForAnotherRecipientDoesNotOpen() {
        Manifest s = sealed(false);
        Manifest.Recipient a = s.sealed().recipients().get(0);
        // A's wrapped key relabelled as C's: C finds "its" entry, but the HPKE open fails
        Manifest.Sealed relabelled = new Manifest.Sealed(s.sealed().ciphertext(),
                List.of(new Manifest.Recipient(GW_C.peerId(), a.encapsulated(), a.wrappedKey())));
        Manifest forged = withSealed(s, relabelled);
        var e = assertThrows(ManifestException.class, () -> ManifestSeal.open(forged, ManifestTest.SITE, RecipientKey.of(GW_C)));
        assertFalse(e instanceof ManifestSeal.NotRecipientException);
        assertTrue(e.getMessage().contains("does not open"), e.getMessage());
    }

    @Test
    void everyTamperedByteIsDetected() {
        Manifest s = sealed(true);
        byte[] c = s.sealed().ciphertext();
        for (int i = 0; i < c.length; i++) {
            byte[] t = c.clone();
            t[i] ^= 0x01;
            Manifest forged = withSealed(s, new Manifest.Sealed(t, s.sealed().recipients()));
            assertThrows(ManifestException.class, () -> ManifestSeal.open(forged, ManifestTest.SITE, RecipientKey.of(GW_A)),
                    "ciphertext byte " + i);
        }
        Manifest.Recipient a = s.sealed().recipients().get(0);
        for (int i = 0; i < Manifest.Recipient.ENC_BYTES + Manifest.Recipient.WRAPPED_KEY_BYTES; i++) {
            byte[] enc = a.encapsulated();
            byte[] key = a.wrappedKey();
            if (i < enc.length) {
                enc[i] ^= 0x01;
            } else {
                key[i - enc.length] ^= 0x01;
            }
            Manifest forged = withSealed(s, new Manifest.Sealed(c, List.of(new Manifest.Recipient(a.peer(), enc, key))));
            assertThrows(ManifestException.class, () -> ManifestSeal.open(forged, ManifestTest.SITE, RecipientKey.of(GW_A)),
                    "key byte " + i);
        }
    }

    @Test
    void aSealedPartMovedToAnotherSiteDoesNotOpen() {
        IpnsName other = IpnsName.of(GW_C.peerId());
        var e = assertThrows(ManifestException.class, () -> ManifestSeal.open(sealed(false), other, RecipientKey.of(GW_A)));
        assertTrue(e.getMessage().contains(other.toString()), e.getMessage());
    }

    @Test
    void recipientCountIsBounded() {
        List<PeerId> nine = new ArrayList<>();
        for (int i = 0; i <= Manifest.MAX_RECIPIENTS; i++) {
            nine.add(Ed25519PrivKey.generate().peerId());
        }
        assertThrows(ManifestException.class, () -> ManifestSeal.seal(allowed(), ManifestTest.SITE, nine, false));
        assertThrows(ManifestException.class, () -> ManifestSeal.seal(allowed(), ManifestTest.SITE, List.of(), false));
        assertThrows(ManifestException.class,
                () -> ManifestSeal.seal(allowed(), ManifestTest.SITE, List.of(GW_A.peerId(), GW_A.peerId()), false));
        assertThrows(ManifestException.class, () -> ManifestSeal.seal(sealed(false), ManifestTest.SITE, List.of(GW_A.peerId()), false));
        Manifest eight = ManifestSeal.seal(allowed(), ManifestTest.SITE, nine.subList(0, 8), true);
        assertEquals(eight, Manifest.decode(eight.encode()));
    }

    @Test
    void sealedPartFieldsAreCheckedOnTheWire() {
        Manifest s = sealed(false);
        CborValue.Map e = (CborValue.Map) ((CborValue.Map) s.toCbor()).get("e").orElseThrow();
        CborValue.Map r0 = (CborValue.Map) ((CborValue.Array) e.get("r").orElseThrow()).get(0);
        String[][] cases = {
            {"e", "not a map"}, {"e.c", "missing"}, {"e.c", "text"}, {"e.c", "short"}, {"e.r", "missing"}, {"e.r", "text"},
            {"e.r", "empty"}, {"e.r", "nine"}, {"r.p", "missing"}, {"r.p", "garbage"}, {"r.e", "short"}, {"r.k", "short"},
            {"r.k", "text"}, {"e.r", "twice"},
        };
        for (String[] c : cases) {
            CborValue bad = switch (c[0]) {
                case "e" -> CborValue.text("x");
                case "e.c" -> switch (c[1]) {
                    case "missing" -> without(e, "c");
                    case "text" -> put(e, "c", CborValue.text("x"));
                    default -> put(e, "c", CborValue.bytes(new byte[15]));
                };
                case "e.r" -> switch (c[1]) {
                    case "missing" -> without(e, "r");
                    case "text" -> put(e, "r", CborValue.text("x"));
                    case "empty" -> put(e, "r", CborValue.Array.of());
                    case "twice" -> put(e, "r", CborValue.Array.of(r0, r0));
                    default -> put(e, "r", new CborValue.Array(java.util.Collections.nCopies(9, r0)));
                };
                default -> {
                    String k = c[0].substring(2);
                    CborValue v = switch (c[1]) {
                        case "garbage" -> CborValue.bytes(new byte[] {9, 9});
                        case "text" -> CborValue.text("x");
                        default -> CborValue.bytes(new byte[31]);
                    };
                    CborValue.Map r = c[1].equals("missing") ? without(r0, k) : put(r0, k, v);
                    yield put(e, "r", CborValue.Array.of(r));
                }
            };
            CborValue.Map manifest = put((CborValue.Map) s.toCbor(), "e", bad);
            var ex = assertThrows(ManifestException.class, () -> Manifest.decode(CborEncoder.encode(manifest)),
                    String.join(" ", c));
            assertTrue(ex.getMessage().contains("sealed part") || ex.getMessage().contains("field e")
                    || ex.getMessage().contains("recipient"), String.join(" ", c) + ": " + ex.getMessage());
        }
    }

    @Test
    void versionAndSealedPartGoTogether() {
        Manifest s = sealed(false);
        var e = assertThrows(ManifestException.class, () -> Manifest.fromCbor(put((CborValue.Map) s.toCbor(), "v", CborValue.integer(1))));
        assertTrue(e.getMessage().contains("version 1"), e.getMessage());
        e = assertThrows(ManifestException.class,
                () -> Manifest.fromCbor(put((CborValue.Map) allowed().toCbor(), "v", CborValue.integer(2))));
        assertTrue(e.getMessage().contains("no sealed part"), e.getMessage());
        e = assertThrows(ManifestException.class, () -> Manifest.fromCbor(put((CborValue.Map) s.toCbor(), "v", CborValue.integer(3))));
        assertTrue(e.getMessage().contains("version 3 is newer"), e.getMessage());
    }

    @Test
    void sealedContentIsCheckedLikeClearFields() {
        // a publisher's own bytes in the sealed part: a bad address is named like a clear one
        Manifest s = sealed(false);
        CborValue.Map inner = CborValue.Map.builder().put("a", CborValue.Array.of(CborValue.bytes(new byte[] {(byte) 0xff}))).build();
        Manifest forged = resealRaw(s, CborEncoder.encode(inner));
        var e = assertThrows(ManifestException.class, () -> ManifestSeal.open(forged, ManifestTest.SITE, RecipientKey.of(GW_A)));
        assertTrue(e.getMessage().contains("address 0"), e.getMessage());
        Manifest notCbor = resealRaw(s, new byte[] {(byte) 0xa1, 0x61});
        e = assertThrows(ManifestException.class, () -> ManifestSeal.open(notCbor, ManifestTest.SITE, RecipientKey.of(GW_A)));
        assertTrue(e.getMessage().contains("DAG-CBOR"), e.getMessage());
        Manifest notMap = resealRaw(s, CborEncoder.encode(CborValue.text("x")));
        assertThrows(ManifestException.class, () -> ManifestSeal.open(notMap, ManifestTest.SITE, RecipientKey.of(GW_A)));
    }

    @Test
    void truncatedSealedManifestIsRejectedAtEveryByte() {
        byte[] bytes = sealed(true).encode();
        for (int i = 0; i < bytes.length; i++) {
            byte[] cut = Arrays.copyOf(bytes, i);
            assertThrows(ManifestException.class, () -> Manifest.decode(cut), "cut at " + i);
        }
        assertEquals(2, Manifest.decode(bytes).version());
    }

    @Test
    void recordWithMostRecipientsAndAddressesStaysUnderTheLimitWithRsa4096() {
        List<PeerId> gateways = new ArrayList<>();
        for (int i = 0; i < Manifest.MAX_RECIPIENTS; i++) {
            gateways.add(Ed25519PrivKey.generate().peerId());
        }
        List<Multiaddr> addrs = new ArrayList<>();
        PeerId relay = Ed25519PrivKey.generate().peerId();
        for (int i = 0; i < Manifest.MAX_ADDRESSES; i++) {
            addrs.add(Multiaddr.parse("/dns4/" + "n".repeat(40) + i + ".example/tcp/4001/p2p/" + relay + "/p2p-circuit"));
        }
        String gw = "https://" + "g".repeat(60) + ".example";
        Manifest clear = new Manifest(ManifestTest.PEER, addrs, "h".repeat(200), "https://" + "f".repeat(200), false,
                List.of(), List.of(), List.of(gw, gw, gw, gw), gateways, null);
        Manifest s = ManifestSeal.seal(clear, ManifestTest.SITE, gateways, true);
        int perRecipient = (s.encode().length - ManifestSeal.seal(clear, ManifestTest.SITE, gateways.subList(0, 1), true)
                .encode().length) / (Manifest.MAX_RECIPIENTS - 1);
        assertTrue(perRecipient < 140, "bytes per recipient: " + perRecipient);
        assertTrue(s.encode().length <= Manifest.MAX_ENCODED_BYTES, "manifest is " + s.encode().length);
        PrivKey rsa = RsaPrivKey.generate(4096);
        IpnsName name = IpnsName.of(rsa.peerId());
        Manifest forRsa = ManifestSeal.seal(clear, name, gateways, true);
        IpnsRecord r = ManifestRecords.create(rsa, forRsa, Long.MAX_VALUE, Duration.ofDays(365), Duration.ofHours(1));
        assertTrue(r.size() <= IpnsRecord.MAX_RECORD_BYTES, "record is " + r.size());
        Manifest read = Manifest.fromRecord(IpnsValidator.validate(name, r.raw())).orElseThrow();
        assertEquals(forRsa, read);
        PrivKey any = Ed25519PrivKey.generate();
        assertThrows(ManifestSeal.NotRecipientException.class, () -> ManifestSeal.open(read, name, RecipientKey.of(any)));
    }

    // ---- helpers

    static Manifest withSealed(Manifest m, Manifest.Sealed s) {
        return new Manifest(m.peer(), m.addresses(), m.host(), m.onfail(), m.offline(), m.statics(), m.streams(),
                m.gateways(), m.allowedGateways(), s);
    }

    /** {@code s} with a sealed part whose content the test chose, wrapped for GW_A like a publisher would. */
    static Manifest resealRaw(Manifest s, byte[] plaintext) throws ManifestException {
        try {
            byte[] key = new byte[ManifestSeal.CONTENT_KEY_BYTES];
            new java.security.SecureRandom().nextBytes(key);
            var c = new org.bouncycastle.crypto.modes.ChaCha20Poly1305();
            byte[] aad = concat(ManifestSeal.CONTENT_AAD.getBytes(), ManifestTest.SITE.peerId().bytes());
            c.init(true, new org.bouncycastle.crypto.params.AEADParameters(
                    new org.bouncycastle.crypto.params.KeyParameter(key), 128, new byte[12], aad));
            byte[] out = new byte[c.getOutputSize(plaintext.length)];
            int n = c.processBytes(plaintext, 0, plaintext.length, out, 0);
            c.doFinal(out, n);
            byte[][] wrapped = ManifestSeal.hpke().seal(new org.bouncycastle.crypto.params.X25519PublicKeyParameters(
                    RecipientKey.x25519PublicKey(GW_A.peerId()), 0),
                    concat(ManifestSeal.KEY_INFO.getBytes(), ManifestTest.SITE.peerId().bytes()), GW_A.peerId().bytes(),
                    key, null, null, null);
            return withSealed(s, new Manifest.Sealed(out, List.of(new Manifest.Recipient(GW_A.peerId(), wrapped[1], wrapped[0]))));
        } catch (org.bouncycastle.crypto.InvalidCipherTextException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static CborValue.Map put(Manifest m, String key, CborValue v) {
        return put((CborValue.Map) m.toCbor(), key, v);
    }

    static CborValue.Map put(CborValue.Map map, String key, CborValue v) {
        java.util.Map<String, CborValue> entries = new java.util.TreeMap<>(map.entries());
        entries.put(key, v);
        return CborValue.Map.of(entries);
    }

    static CborValue.Map without(CborValue.Map map, String key) {
        java.util.Map<String, CborValue> entries = new java.util.TreeMap<>(map.entries());
        entries.remove(key);
        return CborValue.Map.of(entries);
    }
}
