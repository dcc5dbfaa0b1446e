package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.security.noise.pb.NoiseExtensions;
import io.ipnslink.p2p.security.noise.pb.NoiseHandshakePayload;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandshakePayloadsTest {
    private final PrivKey identity = PrivKey.generateEd25519();
    private final byte[] staticKey = X25519KeyPair.generate(new SecureRandom()).publicKey();

    @Test
    void aPayloadWeCreateVerifiesAndCarriesKeyPeerAndMuxers() throws Exception {
        byte[] payload = HandshakePayloads.create(identity, staticKey, List.of("/yamux/1.0.0", "/mplex/6.7.0"));
        HandshakePayloads.Remote r = HandshakePayloads.verify(payload, staticKey, identity.peerId());
        assertEquals(identity.publicKey(), r.key());
        assertEquals(identity.peerId(), r.peerId());
        assertEquals(List.of("/yamux/1.0.0", "/mplex/6.7.0"), r.muxers());
    }

    @Test
    void theSignatureCoversThePrefixAndTheStaticKey() throws Exception {
        NoiseHandshakePayload p = NoiseHandshakePayload.parseFrom(HandshakePayloads.create(identity, staticKey, List.of()));
        byte[] signed = new byte[24 + 32];
        System.arraycopy("noise-libp2p-static-key:".getBytes(StandardCharsets.UTF_8), 0, signed, 0, 24);
        System.arraycopy(staticKey, 0, signed, 24, 32);
        assertTrue(identity.publicKey().verify(signed, p.getIdentitySig().toByteArray()));
        assertTrue(!p.hasExtensions(), "no extensions without muxers");
    }

    @Test
    void aSignatureOfAnotherStaticKeyIsBadPeer() {
        byte[] payload = HandshakePayloads.create(identity, staticKey, List.of());
        byte[] other = X25519KeyPair.generate(new SecureRandom()).publicKey();
        P2pException.BadPeer e = assertThrows(P2pException.BadPeer.class, () -> HandshakePayloads.verify(payload, other, null));
        assertTrue(e.getMessage().contains("invalid signature"), e.getMessage());
    }

    @Test
    void anUnexpectedPeerIsBadPeerNamingBothIds() {
        PrivKey expected = PrivKey.generateEd25519();
        byte[] payload = HandshakePayloads.create(identity, staticKey, List.of());
        P2pException.BadPeer e = assertThrows(P2pException.BadPeer.class,
                () -> HandshakePayloads.verify(payload, staticKey, expected.peerId()));
        assertTrue(e.getMessage().contains(expected.peerId().toString()));
        assertTrue(e.getMessage().contains(identity.peerId().toString()));
    }

    @Test
    void malformedPayloadsAreProtocolViolations() {
        NoiseHandshakePayload valid;
        try {
            valid = NoiseHandshakePayload.parseFrom(HandshakePayloads.create(identity, staticKey, List.of()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        List<byte[]> bad = List.of(
                new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff},
                new byte[0],
                valid.toBuilder().clearIdentitySig().build().toByteArray(),
                valid.toBuilder().clearIdentityKey().build().toByteArray(),
                valid.toBuilder().setIdentityKey(ByteString.copyFrom(new byte[] {8, 1, 18, 3, 1, 2, 3})).build().toByteArray(),
                valid.toBuilder().setExtensions(NoiseExtensions.newBuilder()
                        .addAllStreamMuxers(Collections.nCopies(HandshakePayloads.MAX_REMOTE_MUXERS + 1, "/m"))).build().toByteArray());
        for (int i = 0; i < bad.size(); i++) {
            byte[] payload = bad.get(i);
            assertThrows(P2pException.ProtocolViolation.class, () -> HandshakePayloads.verify(payload, staticKey, null), "case " + i);
        }
    }
}
