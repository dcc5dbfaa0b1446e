package io.ipnslink.core.multiformats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MultiaddrTest {
    private static final String PEER = "12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d";
    private static final String PEER_HEX = Hex.hex(Multihash.fromBase58(PEER).bytes());
    private static final String RSA_PEER = "QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3";

    /** Text and binary forms; binary written by hand from the multicodec table. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/ip4/1.2.3.4/tcp/4001                         | 04 01020304 06 0fa1",
        "/ip4/127.0.0.1/udp/4001/quic-v1               | 04 7f000001 9102 0fa1 cd03",
        "/ip6/::1/tcp/0                                | 29 00000000000000000000000000000001 06 0000",
        "/ip6/2001:db8::8:800:200c:417a/udp/65535      | 29 20010db8000000000008080020 0c417a 9102 ffff",
        "/ip6/::ffff:1.2.3.4/tcp/1                     | 29 00000000000000000000ffff01020304 06 0001",
        "/dns/example.com/tcp/443/tls/http             | 35 0b 6578616d706c652e636f6d 06 01bb c003 e003",
        "/dns4/a.b/tcp/80/ws                           | 36 03 612e62 06 0050 dd03",
        "/dns6/a.b/tcp/443/wss                         | 37 03 612e62 06 01bb de03",
        "/dnsaddr/bootstrap.libp2p.io                  | 38 13 626f6f7473747261702e6c69627032702e696f",
        "/p2p-circuit                                  | a202",
    })
    void textAndBinaryFormsMatch(String text, String hex) {
        Multiaddr a = Multiaddr.parse(text);
        assertEquals(hex.replace(" ", ""), Hex.hex(a.bytes()));
        assertEquals(text, a.toString());
        Multiaddr b = Multiaddr.decode(Hex.bytes(hex));
        assertEquals(a, b);
        assertEquals(text, b.toString());
    }

    @Test
    void p2pValueIsThePeerIdMultihashPrintedInBase58() {
        Multiaddr a = Multiaddr.parse("/ip4/1.2.3.4/tcp/4001/p2p/" + PEER);
        assertEquals("0401020304060fa1" + "a503" + "26" + PEER_HEX, Hex.hex(a.bytes()));
        assertEquals(Optional.of(PEER), a.valueOf(Multiaddr.Protocol.P2P));
        assertEquals(Multihash.fromBase58(PEER), a.peerIdMultihash().orElseThrow());
        assertEquals(a, Multiaddr.parse("/ip4/1.2.3.4/tcp/4001").encapsulate(Multiaddr.p2p(Multihash.fromBase58(PEER))));
        Multiaddr rsa = Multiaddr.parse("/p2p/" + RSA_PEER);
        assertEquals("/p2p/" + RSA_PEER, rsa.toString());
    }

    @Test
    void p2pAcceptsCidV1LibP2pKeyAndTheOldIpfsName() {
        Multiaddr viaCid = Multiaddr.parse("/p2p/k51qzi5uqu5dk3v4rmjber23h16xnr23bsggmqqil9z2gduiis5se8dht36dam");
        assertEquals("/p2p/" + PEER, viaCid.toString());
        assertEquals(viaCid, Multiaddr.parse("/p2p/bafzaajaiaejcbhltvusd6q2t7tm3lmke4vu4lieeerm25eihikbh3ncjntnm6t6o"));
        assertEquals(viaCid, Multiaddr.parse("/ipfs/" + PEER));
        MultiformatException e = assertThrows(MultiformatException.class,
                () -> Multiaddr.parse("/p2p/bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"));
        assertTrue(e.getMessage().contains("libp2p-key"), e.getMessage());
    }

    @Test
    void everyProtocolIsCoveredByARoundTrip() {
        String all = "/ip4/10.0.0.1/tcp/1/ip6/fe80::1/udp/2/quic-v1/dns/x/dns4/y/dns6/z/dnsaddr/w"
                + "/tls/http/ws/wss/p2p/" + PEER + "/p2p-circuit/p2p/" + RSA_PEER;
        Multiaddr a = Multiaddr.parse(all);
        Set<Multiaddr.Protocol> seen = EnumSet.noneOf(Multiaddr.Protocol.class);
        a.components().forEach(c -> seen.add(c.protocol()));
        assertEquals(EnumSet.allOf(Multiaddr.Protocol.class), seen);
        assertEquals(all, a.toString());
        assertEquals(a, Multiaddr.decode(a.bytes()));
        for (Multiaddr.Protocol p : Multiaddr.Protocol.values()) {
            assertEquals(p, Multiaddr.Protocol.forCode(p.code()));
            assertEquals(p, Multiaddr.Protocol.forName(p.textName()));
        }
    }

    @Test
    void ip6TextIsCanonical() {
        assertEquals("/ip6/2001:db8::1/tcp/1", Multiaddr.parse("/ip6/2001:0DB8:0:0:0:0:0:0001/tcp/1").toString());
        assertEquals("/ip6/::", Multiaddr.parse("/ip6/0:0:0:0:0:0:0:0").toString());
        assertEquals("/ip6/1:0:1::", Multiaddr.parse("/ip6/1:0:1:0:0:0:0:0").toString());
        assertEquals("/ip6/1:0:0:1::1", Multiaddr.parse("/ip6/1:0:0:1:0:0:0:1").toString());
        assertEquals("/ip6/1::1:0:0:1:1", Multiaddr.parse("/ip6/1:0:0:1:0:0:1:1").toString());
        assertEquals("/ip6/1:2:3:4:5:6:7:0", Multiaddr.parse("/ip6/1:2:3:4:5:6:7::").toString());
    }

    @Test
    void trailingSlashIsAccepted() {
        assertEquals(Multiaddr.parse("/ip4/1.2.3.4/tcp/4001"), Multiaddr.parse("/ip4/1.2.3.4/tcp/4001/"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                        | must start with '/'",
        "ip4/1.2.3.4               | must start with '/'",
        "/                         | empty multiaddr",
        "/ip4                      | needs a value",
        "/ip4/1.2.3                | invalid IPv4 address '1.2.3'",
        "/ip4/1.2.3.256            | invalid IPv4 address",
        "/ip4/01.2.3.4             | invalid IPv4 address",
        "/ip4/localhost            | invalid IPv4 address",
        "/ip6/1.2.3.4              | invalid IPv6 address",
        "/ip6/fe80::1%eth0         | zone",
        "/ip6/1:2:3:4:5:6:7:8:9    | invalid IPv6 address",
        "/ip6/1::2::3              | invalid IPv6 address",
        "/ip6/12345::              | invalid IPv6 address",
        "/ip6/example.com          | invalid IPv6 address",
        "/tcp/65536                | out of range",
        "/tcp/-1                   | not a number",
        "/tcp/http                 | not a number",
        "/udp/123456               | not a number",
        "/foo/1                    | unknown multiaddr protocol 'foo'",
        "/ip4/1.2.3.4//tcp/1       | empty protocol name",
        "/p2p/notapeer             | neither a base58 peer id nor a CID",
        "/p2p/QmNotAPeer           | not a peer id",
        "/p2p/zzz                  | neither a base58 peer id nor a CID",
        "/p2p-circuit/x            | unknown multiaddr protocol 'x'",
    })
    void badTextGivesAClearMessage(String text, String expected) {
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multiaddr.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void unknownBinaryCodeIsNamed() {
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multiaddr.decode(Hex.bytes("0401020304 0700")));
        assertTrue(e.getMessage().contains("unknown multiaddr protocol code 7"), e.getMessage());
    }

    @Test
    void binaryP2pValueMustBeAMultihash() {
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multiaddr.decode(Hex.bytes("a503 03 120201")));
        assertTrue(e.getMessage().contains("p2p value is not a multihash"), e.getMessage());
    }

    /**
     * Found by CoreParsersFuzzTest#multiaddrBytes (regression input kept in its Inputs folder): a p2p
     * multihash of another code decoded, but its base58 text ("BhyyTGH39DqPUB") did not parse back,
     * so the multiaddr's own toString() was not a valid multiaddr.
     */
    @Test
    void p2pValueMustBeAPeerIdMultihashInBytesAndText() {
        byte[] fuzzed = Hex.bytes("0401060fa1 a503 0a be9206 06 060606000000");
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multiaddr.decode(fuzzed));
        assertTrue(e.getMessage().contains("not a peer id (identity or sha2-256)"), e.getMessage());
        // the same multihash as a CIDv1 libp2p-key in text is refused too
        String cid = Cid.v1(Cid.LIBP2P_KEY, Multihash.decode(Hex.bytes("be9206 06 060606000000"))).toString();
        assertThrows(MultiformatException.class, () -> Multiaddr.parse("/p2p/" + cid));
        // identity and sha2-256 still round-trip through text
        for (Multihash ok : List.of(Multihash.identity(new byte[] {8, 1, 18, 32}), Multihash.sha256(new byte[] {1}))) {
            Multiaddr a = Multiaddr.p2p(ok);
            assertEquals(a, Multiaddr.parse(a.toString()));
            assertArrayEquals(a.bytes(), Multiaddr.decode(a.bytes()).bytes());
        }
    }

    @Test
    void everyTruncationOfEveryBinaryFormFails() {
        Multiaddr a = Multiaddr.parse("/dns4/example.com/tcp/443/wss/p2p/" + PEER + "/p2p-circuit/ip6/::1/udp/1/quic-v1");
        byte[] full = a.bytes();
        int failures = 0;
        for (int cut = 0; cut < full.length; cut++) {
            byte[] part = Arrays.copyOf(full, cut);
            try {
                Multiaddr prefix = Multiaddr.decode(part);
                // a cut at a component boundary is a valid shorter address, and a prefix of the original
                assertTrue(a.toString().startsWith(prefix.toString()), prefix.toString());
            } catch (MultiformatException e) {
                failures++;
                assertTrue(e.getMessage().length() > 5);
            }
        }
        assertTrue(failures > full.length - 12, "failures " + failures);
    }

    @Test
    void sizeLimitIsEnforced() {
        byte[] big = new byte[Multiaddr.MAX_BYTES + 1];
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multiaddr.decode(big));
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
        String longText = "/p2p-circuit".repeat(Multiaddr.MAX_BYTES / 2 + 1);
        assertThrows(MultiformatException.class, () -> Multiaddr.parse(longText));
        assertThrows(MultiformatException.class, () -> Multiaddr.parse("/" + "x".repeat(Multiaddr.MAX_TEXT_CHARS)));
        assertThrows(MultiformatException.class, () -> Multiaddr.parse("/dns/" + "a".repeat(256)));
    }

    @Test
    void garbageDecodesCanonicallyOrFailsClearly() {
        Random r = new Random(9);
        byte[][] codes = {{4}, {6}, {0x29}, {0x35}, {(byte) 0xa5, 3}, {(byte) 0xa2, 2}, {(byte) 0x91, 2}};
        for (int i = 0; i < 5000; i++) {
            byte[] g = new byte[r.nextInt(30)];
            r.nextBytes(g);
            if (g.length > 2 && r.nextBoolean()) {
                byte[] c = codes[r.nextInt(codes.length)];
                System.arraycopy(c, 0, g, 0, c.length);
            }
            try {
                Multiaddr a = Multiaddr.decode(g);
                assertArrayEquals(g, a.bytes());
                assertEquals(a, Multiaddr.parse(a.toString()));
            } catch (MultiformatException expected) {
                assertTrue(expected.getMessage().length() > 5);
            }
        }
    }

    @Test
    void tcpFromSocketAddressAndBack() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 4001);
        Multiaddr a = Multiaddr.tcp(v4);
        assertEquals("/ip4/127.0.0.1/tcp/4001", a.toString());
        assertEquals(Optional.of(v4), a.toTcpSocketAddress());
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 80);
        assertEquals("/ip6/::1/tcp/80", Multiaddr.tcp(v6).toString());
        assertEquals(Optional.of(v6), Multiaddr.tcp(v6).toTcpSocketAddress());
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("example.com", 443);
        assertEquals("/dns/example.com/tcp/443", Multiaddr.tcp(unresolved).toString());
    }

    @Test
    void toTcpSocketAddressIsEmptyForNonTcpAddresses() {
        InetSocketAddress dns = Multiaddr.parse("/dns4/example.com/tcp/443/p2p/" + PEER).toTcpSocketAddress().orElseThrow();
        assertTrue(dns.isUnresolved());
        assertEquals("example.com", dns.getHostString());
        assertEquals(443, dns.getPort());
        assertFalse(Multiaddr.parse("/ip4/1.2.3.4/udp/1/quic-v1").toTcpSocketAddress().isPresent());
        assertFalse(Multiaddr.parse("/ip4/1.2.3.4/tcp/1/ws").toTcpSocketAddress().isPresent());
        assertFalse(Multiaddr.parse("/ip4/1.2.3.4/tcp/1/p2p/" + PEER + "/p2p-circuit").toTcpSocketAddress().isPresent());
        assertFalse(Multiaddr.parse("/dnsaddr/x/tcp/1").toTcpSocketAddress().isPresent());
    }

    @Test
    void encapsulateAndDecapsulate() {
        Multiaddr relay = Multiaddr.parse("/ip4/1.2.3.4/tcp/4001/p2p/" + RSA_PEER);
        Multiaddr circuit = relay.encapsulate(Multiaddr.parse("/p2p-circuit/p2p/" + PEER));
        assertEquals("/ip4/1.2.3.4/tcp/4001/p2p/" + RSA_PEER + "/p2p-circuit/p2p/" + PEER, circuit.toString());
        assertEquals(relay.encapsulate(Multiaddr.parse("/p2p-circuit")), circuit.decapsulate(Multiaddr.Protocol.P2P));
        assertEquals(relay, circuit.decapsulate(Multiaddr.Protocol.P2P_CIRCUIT));
        assertEquals("/ip4/1.2.3.4", circuit.decapsulate(Multiaddr.Protocol.TCP).toString());
        assertSame(relay, relay.decapsulate(Multiaddr.Protocol.WS));
        assertTrue(circuit.has(Multiaddr.Protocol.P2P_CIRCUIT));
        assertFalse(relay.has(Multiaddr.Protocol.P2P_CIRCUIT));
        assertEquals(List.of(), circuit.decapsulate(Multiaddr.Protocol.IP4).components());
    }

    @Test
    void componentsAreImmutableValues() {
        Multiaddr a = Multiaddr.parse("/ip4/1.2.3.4/tcp/4001");
        assertThrows(UnsupportedOperationException.class, () -> a.components().clear());
        byte[] v = a.components().get(0).value();
        v[0] = 9;
        assertEquals("/ip4/1.2.3.4/tcp/4001", a.toString());
        assertEquals(new Multiaddr.Component(Multiaddr.Protocol.TCP, new byte[] {0x0f, (byte) 0xa1}), a.components().get(1));
        assertThrows(MultiformatException.class, () -> new Multiaddr.Component(Multiaddr.Protocol.IP4, new byte[3]));
    }
}
