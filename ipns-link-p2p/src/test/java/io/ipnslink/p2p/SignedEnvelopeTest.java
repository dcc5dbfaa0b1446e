package io.ipnslink.p2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.multiformats.Varint;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignedEnvelopeTest {
    private final PrivKey key = PrivKey.generateEd25519();

    private PeerRecord record() {
        return new PeerRecord(key.peerId(), 1234, List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"),
                Multiaddr.parse("/ip6/::1/tcp/4002")));
    }

    @Test
    void signatureCoversVarintPrefixedDomainTypeAndPayloadAsRfc0002Says() {
        byte[] type = {0x03, 0x01};
        byte[] payload = "payload".getBytes(StandardCharsets.UTF_8);
        SignedEnvelope env = SignedEnvelope.seal(key, "libp2p-peer-record", type, payload);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        byte[] domain = "libp2p-peer-record".getBytes(StandardCharsets.UTF_8);
        expected.writeBytes(Varint.encode(domain.length));
        expected.writeBytes(domain);
        expected.writeBytes(Varint.encode(2));
        expected.writeBytes(type);
        expected.writeBytes(Varint.encode(payload.length));
        expected.writeBytes(payload);
        assertTrue(key.publicKey().verify(expected.toByteArray(), env.signature()));
        assertTrue(env.verify("libp2p-peer-record"));
        assertFalse(env.verify("some-other-domain"));
    }

    @Test
    void peerRecordRoundTripsThroughItsSignedEnvelope() throws Exception {
        byte[] wire = record().seal(key).encode();
        PeerRecord back = PeerRecord.open(wire);
        assertEquals(record(), back);
        SignedEnvelope env = SignedEnvelope.decode(wire);
        assertArrayEquals(new byte[] {0x03, 0x01}, env.payloadType());
        assertEquals(key.publicKey(), env.publicKey());
    }

    @Test
    void tamperedPayloadIsRejectedAsBadPeer() {
        byte[] wire = record().seal(key).encode();
        // flip a byte inside the payload (the port of the first address)
        byte[] payload = record().encode();
        int at = indexOf(wire, payload) + payload.length - 1;
        wire[at] ^= 1;
        assertThrows(P2pException.BadPeer.class, () -> PeerRecord.open(wire));
    }

    @Test
    void recordSignedByAnotherKeyIsRejected() {
        PrivKey other = PrivKey.generateEd25519();
        byte[] wire = SignedEnvelope.seal(other, PeerRecord.DOMAIN, PeerRecord.payloadType(), record().encode()).encode();
        P2pException.BadPeer e = assertThrows(P2pException.BadPeer.class, () -> PeerRecord.open(wire));
        assertTrue(e.getMessage().contains("signed by another key"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> record().seal(other));
    }

    @Test
    void envelopeOfAnotherDomainOrTypeIsRejected() {
        byte[] otherDomain = SignedEnvelope.seal(key, "other-domain", PeerRecord.payloadType(), record().encode()).encode();
        assertThrows(P2pException.BadPeer.class, () -> PeerRecord.open(otherDomain));
        byte[] otherType = SignedEnvelope.seal(key, PeerRecord.DOMAIN, new byte[] {0x03, 0x02}, record().encode()).encode();
        assertThrows(P2pException.ProtocolViolation.class, () -> PeerRecord.open(otherType));
    }

    @Test
    void truncatedGarbageAndOversizedEnvelopesAreProtocolViolations() {
        byte[] wire = record().seal(key).encode();
        for (int len = 0; len < wire.length; len++) {
            byte[] cut = Arrays.copyOf(wire, len);
            assertThrows(P2pException.class, () -> PeerRecord.open(cut), "truncated at " + len);
        }
        assertThrows(P2pException.ProtocolViolation.class, () -> SignedEnvelope.decode(new byte[] {(byte) 0xff, 1, 2}));
        assertThrows(P2pException.ProtocolViolation.class,
                () -> SignedEnvelope.decode(new byte[SignedEnvelope.MAX_ENVELOPE_SIZE + 1]));
        assertThrows(P2pException.ProtocolViolation.class, () -> PeerRecord.decode(new byte[] {0x0a, 0x05, 1}));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
