package io.ipnslink.core.manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.cbor.CborDecoder;
import io.ipnslink.core.cbor.CborEncoder;
import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Multiaddr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ManifestTest {
    static final PrivKey HOST_KEY = Ed25519PrivKey.fromSeed(HexFormat.of().parseHex(
            "0101010101010101010101010101010101010101010101010101010101010101"));
    static final PrivKey SITE_KEY = Ed25519PrivKey.fromSeed(HexFormat.of().parseHex(
            "0202020202020202020202020202020202020202020202020202020202020202"));
    static final PeerId PEER = HOST_KEY.peerId();
    static final IpnsName SITE = IpnsName.of(SITE_KEY.peerId());
    static final String CID = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";

    static Manifest full() {
        return new Manifest(PEER,
                List.of(Multiaddr.parse("/ip4/192.0.2.7/tcp/4001"), Multiaddr.parse("/ip6/2001:db8::1/tcp/4001")),
                "blog.example:8443", "https://status.example/down", false,
                List.of(new Manifest.StaticEntry("/assets/", CID)),
                List.of(new Manifest.StreamEntry("/live/", IpnsName.of(HOST_KEY.peerId()).toBase58())),
                List.of("https://gw.example", "https://{name}.ipns.gw2.example"));
    }

    static Manifest minimal() {
        return Manifest.online(PEER, List.of(), null, null, List.of());
    }

    @Test
    void fullManifestRoundTripsThroughCborBytes() {
        Manifest m = full();
        byte[] bytes = m.encode();
        Manifest back = Manifest.decode(bytes);
        assertEquals(m, back);
        assertArrayEquals(bytes, back.encode());
        // names are normalised to base36, CIDs to their canonical text
        assertEquals(IpnsName.of(HOST_KEY.peerId()).toString(), back.streams().get(0).ipnsName());
    }

    @Test
    void minimalAndOfflineManifestsRoundTrip() {
        assertEquals(minimal(), Manifest.decode(minimal().encode()));
        Manifest off = full().asOffline();
        assertTrue(off.offline());
        assertTrue(off.addresses().isEmpty());
        assertEquals(off, Manifest.decode(off.encode()));
    }

    @Test
    void encodingIsCanonicalWithShortKeysAndBinaryAddresses() {
        CborValue.Map map = (CborValue.Map) full().toCbor();
        assertEquals(List.of("a", "f", "g", "h", "p", "s", "t", "v"), new ArrayList<>(map.entries().keySet()));
        assertEquals(CborValue.Int.of(1), map.get("v").orElseThrow());
        assertEquals(new CborValue.Bytes(PEER.bytes()), map.get("p").orElseThrow());
        CborValue.Array addrs = (CborValue.Array) map.get("a").orElseThrow();
        assertEquals(new CborValue.Bytes(Multiaddr.parse("/ip4/192.0.2.7/tcp/4001").bytes()), addrs.get(0));
        assertFalse(map.containsKey("o"), "offline=false is left out");
        byte[] bytes = CborEncoder.encode(map);
        assertArrayEquals(bytes, CborEncoder.encode(CborDecoder.decode(bytes)));
    }

    @Test
    void unknownFieldsAreIgnored() {
        CborValue.Map m = with(full(), b -> b.put("zz", "future").put("x", CborValue.Array.of(CborValue.integer(1))));
        assertEquals(full(), Manifest.fromCbor(m));
    }

    @Test
    void newerFormatVersionIsRejectedWithAReason() {
        var e = assertThrows(ManifestException.class, () -> Manifest.fromCbor(with(full(), b -> b.put("v", 3))));
        assertTrue(e.getMessage().contains("version 3 is newer"), e.getMessage());
        assertThrows(ManifestException.class, () -> Manifest.fromCbor(with(full(), b -> b.put("v", 0))));
        assertThrows(ManifestException.class, () -> Manifest.fromCbor(with(full(), b -> b.put("v", -1))));
    }

    @Test
    void missingVersionOrPeerIsRejected() {
        var e = assertThrows(ManifestException.class, () -> Manifest.fromCbor(without(full(), "v")));
        assertTrue(e.getMessage().contains("no field v"), e.getMessage());
        e = assertThrows(ManifestException.class, () -> Manifest.fromCbor(without(full(), "p")));
        assertTrue(e.getMessage().contains("no field p"), e.getMessage());
        assertThrows(ManifestException.class, () -> Manifest.fromCbor(CborValue.text("not a map")));
    }

    @Test
    void everyFieldOfTheWrongTypeIsRejectedNamingTheField() {
        CborValue text = CborValue.text("x");
        CborValue num = CborValue.integer(7);
        Object[][] cases = {
            {"v", text}, {"p", text}, {"a", text}, {"a", CborValue.Array.of(text)}, {"h", num}, {"f", num},
            {"o", num}, {"s", text}, {"s", CborValue.Array.of(num)}, {"t", CborValue.Array.of(text)},
            {"g", text}, {"g", CborValue.Array.of(num)},
            {"s", CborValue.Array.of(CborValue.Map.builder().put("p", "/a").put("c", CID).build())},
            {"t", CborValue.Array.of(CborValue.Map.builder().put("p", "/a").put("n", "k51").build())},
            {"s", CborValue.Array.of(CborValue.Map.builder().put("c",
                    io.ipnslink.core.multiformats.Cid.parse(CID).bytes()).build())},
            {"s", CborValue.Array.of(CborValue.Map.builder().put("p", "/a").put("c", new CborValue.Link(
                    io.ipnslink.core.multiformats.Cid.parse(CID).bytes())).build())},
        };
        for (Object[] c : cases) {
            String key = (String) c[0];
            var e = assertThrows(ManifestException.class,
                    () -> Manifest.fromCbor(with(full(), b -> b.put(key, (CborValue) c[1]))), key + " " + c[1]);
            assertFalse(e.getMessage().isBlank());
        }
    }

    @Test
    void badValuesAreRejected() {
        assertThrows(ManifestException.class, () -> Manifest.fromCbor(with(full(), b -> b.put("p", new byte[] {1, 2, 3}))));
        assertThrows(ManifestException.class, () -> Manifest.fromCbor(
                with(full(), b -> b.put("a", CborValue.Array.of(CborValue.bytes(new byte[] {(byte) 0xff, 0x7f}))))));
        assertThrows(ManifestException.class, () -> Manifest.fromCbor(with(full(), b -> b.put("f", "ftp://x"))));
        assertThrows(ManifestException.class, () -> Manifest.fromCbor(with(full(), b -> b.put("h", "a b"))));
        assertThrows(ManifestException.class, () -> Manifest.fromCbor(
                with(full(), b -> b.put("g", CborValue.Array.of(CborValue.text("javascript:alert(1)"))))));
        assertThrows(ManifestException.class, () -> new Manifest.StaticEntry("assets", CID));
        assertThrows(ManifestException.class, () -> new Manifest.StaticEntry("/a", "nope"));
        assertThrows(ManifestException.class, () -> new Manifest.StreamEntry("/a", "nope"));
    }

    @Test
    void onfailAcceptsUrlsAndContentPaths() {
        for (String f : List.of("https://x.example/", "http://x", "/ipfs/" + CID, "/ipns/" + SITE)) {
            assertEquals(f, Manifest.online(PEER, List.of(), null, f, List.of()).onfail());
        }
    }

    @Test
    void countLimitsAreEnforcedBothWays() {
        List<Multiaddr> addrs = new ArrayList<>();
        for (int i = 0; i <= Manifest.MAX_ADDRESSES; i++) {
            addrs.add(Multiaddr.parse("/ip4/192.0.2." + i + "/tcp/4001"));
        }
        assertThrows(ManifestException.class, () -> Manifest.online(PEER, addrs, null, null, List.of()));
        Manifest ok = Manifest.online(PEER, addrs.subList(0, Manifest.MAX_ADDRESSES), null, null, List.of());
        CborValue.Map tooMany = with(ok, b -> {
            List<CborValue> items = new ArrayList<>();
            addrs.forEach(a -> items.add(CborValue.bytes(a.bytes())));
            b.put("a", new CborValue.Array(items));
        });
        var e = assertThrows(ManifestException.class, () -> Manifest.fromCbor(tooMany));
        assertTrue(e.getMessage().contains("at most 16"), e.getMessage());
        List<String> gws = List.of("https://a", "https://b", "https://c", "https://d", "https://e");
        assertThrows(ManifestException.class, () -> Manifest.online(PEER, List.of(), null, null, gws));
        List<Manifest.StaticEntry> statics = new ArrayList<>();
        for (int i = 0; i <= Manifest.MAX_ENTRIES; i++) {
            statics.add(new Manifest.StaticEntry("/s" + i, CID));
        }
        assertThrows(ManifestException.class,
                () -> new Manifest(PEER, List.of(), null, null, false, statics, List.of(), List.of()));
    }

    @Test
    void encodedSizeIsCapped() {
        String longUrl = "https://" + "g".repeat(Manifest.MAX_URL_BYTES - 8);
        assertThrows(ManifestException.class, () -> Manifest.online(PEER, List.of(), null, longUrl + "x", List.of()));
        List<String> gws = List.of(longUrl, longUrl, longUrl, longUrl);
        List<Manifest.StaticEntry> statics = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            statics.add(new Manifest.StaticEntry("/" + "p".repeat(250) + i, CID));
        }
        var e = assertThrows(ManifestException.class,
                () -> new Manifest(PEER, List.of(), null, longUrl, false, statics, List.of(), gws));
        assertTrue(e.getMessage().contains("byte limit"), e.getMessage());
        assertThrows(ManifestException.class, () -> Manifest.decode(new byte[Manifest.MAX_ENCODED_BYTES + 1]));
    }

    @Test
    void truncatedOrGarbageBytesAreRejected() {
        byte[] bytes = full().encode();
        for (int i = 0; i < bytes.length; i++) {
            byte[] cut = Arrays.copyOf(bytes, i);
            assertThrows(ManifestException.class, () -> Manifest.decode(cut), "cut at " + i);
        }
        assertThrows(ManifestException.class, () -> Manifest.decode(new byte[] {(byte) 0xff, 0, 1}));
    }

    @Test
    void siteProtocolUsesTheBase36Name() {
        assertEquals("/x/" + SITE + "/http", Manifest.siteProtocol(IpnsName.parse(SITE.toBase58())));
        assertTrue(Manifest.siteProtocol(SITE).startsWith("/x/k51"));
    }

    @Test
    void gatewayTemplatesExpand() {
        assertEquals("https://gw/ipns/" + SITE, Manifest.gatewayUrl("https://gw/", SITE));
        assertEquals("https://" + SITE + ".ipns.gw", Manifest.gatewayUrl("https://{name}.ipns.gw", SITE));
    }

    static CborValue.Map with(Manifest m, java.util.function.Consumer<CborValue.Map.Builder> change) {
        CborValue.Map.Builder b = CborValue.Map.builder();
        ((CborValue.Map) m.toCbor()).entries().forEach(b::put);
        change.accept(b);
        return b.build();
    }

    static CborValue.Map without(Manifest m, String key) {
        TreeMap<String, CborValue> copy = new TreeMap<>(CborValue.KEY_ORDER);
        copy.putAll(((CborValue.Map) m.toCbor()).entries());
        copy.remove(key);
        return new CborValue.Map(copy);
    }

}
