package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.p2p.P2pException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs both sides of the cacophony vectors for Noise_XX_25519_ChaChaPoly_SHA256 (resource
 * {@code noise/cacophony-XX_25519_ChaChaPoly_SHA256.json}, origin noted inside) with each
 * ChaCha20-Poly1305 implementation, comparing every handshake and transport ciphertext.
 */
class CacophonyVectorTest {
    private static final HexFormat HEX = HexFormat.of();

    record Vector(String name, byte[] initPrologue, byte[] initStatic, byte[] initEphemeral,
            byte[] respPrologue, byte[] respStatic, byte[] respEphemeral, byte[] handshakeHash,
            List<byte[]> payloads, List<byte[]> ciphertexts) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Vector> vectors() throws IOException {
        JsonNode root;
        try (InputStream in = CacophonyVectorTest.class.getResourceAsStream(
                "/noise/cacophony-XX_25519_ChaChaPoly_SHA256.json")) {
            root = new ObjectMapper().readTree(in);
        }
        List<Vector> out = new ArrayList<>();
        for (JsonNode v : root.get("vectors")) {
            List<byte[]> payloads = new ArrayList<>();
            List<byte[]> ciphertexts = new ArrayList<>();
            for (JsonNode m : v.get("messages")) {
                payloads.add(hex(m, "payload"));
                ciphertexts.add(hex(m, "ciphertext"));
            }
            out.add(new Vector(v.get("protocol_name").asText(), hex(v, "init_prologue"), hex(v, "init_static"),
                    hex(v, "init_ephemeral"), hex(v, "resp_prologue"), hex(v, "resp_static"),
                    hex(v, "resp_ephemeral"), hex(v, "handshake_hash"), payloads, ciphertexts));
        }
        return out;
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        for (Vector v : vectors()) {
            for (ChaChaPolyProvider p : ChaChaPolyProvider.values()) {
                cases.add(Arguments.of(v, p));
            }
        }
        return cases.stream();
    }

    private static byte[] hex(JsonNode node, String field) {
        return HEX.parseHex(node.get(field).asText());
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("cases")
    void everyMessageMatchesTheVectorByteForByte(Vector v, ChaChaPolyProvider provider) throws Exception {
        assertEquals(HandshakeState.PROTOCOL_NAME, v.name());
        HandshakeState init = new HandshakeState(true, v.initPrologue(),
                X25519KeyPair.fromPrivateKey(v.initStatic()), () -> X25519KeyPair.fromPrivateKey(v.initEphemeral()), provider);
        HandshakeState resp = new HandshakeState(false, v.respPrologue(),
                X25519KeyPair.fromPrivateKey(v.respStatic()), () -> X25519KeyPair.fromPrivateKey(v.respEphemeral()), provider);

        for (int i = 0; i < 3; i++) {
            HandshakeState writer = i % 2 == 0 ? init : resp;
            HandshakeState reader = i % 2 == 0 ? resp : init;
            byte[] message = writer.writeMessage(v.payloads().get(i));
            assertArrayEquals(v.ciphertexts().get(i), message, "handshake message " + i);
            assertArrayEquals(v.payloads().get(i), reader.readMessage(message), "payload of handshake message " + i);
            if (i == 1) {
                // The handshake_hash of this cacophony file is h as it stands before the last handshake
                // message (snow does not check the field); it still pins every MixHash of messages 1-2.
                assertArrayEquals(v.handshakeHash(), init.handshakeHash(), "h after message 2 of 3");
                assertArrayEquals(v.handshakeHash(), resp.handshakeHash(), "h after message 2 of 3");
            }
        }
        assertTrue(init.isComplete());
        assertTrue(resp.isComplete());
        assertArrayEquals(init.handshakeHash(), resp.handshakeHash(), "final h agrees on both sides");
        assertArrayEquals(X25519KeyPair.fromPrivateKey(v.respStatic()).publicKey(), init.remoteStaticPublicKey());
        assertArrayEquals(X25519KeyPair.fromPrivateKey(v.initStatic()).publicKey(), resp.remoteStaticPublicKey());

        HandshakeState.TransportCiphers initCiphers = init.split();
        HandshakeState.TransportCiphers respCiphers = resp.split();
        for (int i = 3; i < v.payloads().size(); i++) {
            // Cacophony alternates after the handshake: message 3 from the responder, 4 from the initiator...
            boolean fromInitiator = i % 2 == 0;
            CipherState sender = fromInitiator ? initCiphers.sender() : respCiphers.sender();
            CipherState receiver = fromInitiator ? respCiphers.receiver() : initCiphers.receiver();
            byte[] payload = v.payloads().get(i);
            byte[] ciphertext = new byte[payload.length + CipherState.TAG_LENGTH];
            sender.encrypt(payload, 0, payload.length, ciphertext, 0);
            assertArrayEquals(v.ciphertexts().get(i), ciphertext, "transport message " + i);
            byte[] decrypted = new byte[payload.length];
            receiver.decrypt(ciphertext, 0, ciphertext.length, decrypted, 0);
            assertArrayEquals(payload, decrypted, "decrypted transport message " + i);
        }
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("cases")
    void flippingAnyBitOfAnEncryptedHandshakeMessageIsRejected(Vector v, ChaChaPolyProvider provider) throws Exception {
        byte[] message2 = v.ciphertexts().get(1);
        // Bytes 0-31 are the responder's clear ephemeral key: changing it changes every derived key,
        // so the encrypted static key fails too. Every position must fail.
        for (int pos = 0; pos < message2.length; pos++) {
            HandshakeState init = new HandshakeState(true, v.initPrologue(),
                    X25519KeyPair.fromPrivateKey(v.initStatic()), () -> X25519KeyPair.fromPrivateKey(v.initEphemeral()), provider);
            init.writeMessage(v.payloads().get(0));
            byte[] tampered = message2.clone();
            tampered[pos] ^= 0x01;
            int at = pos;
            P2pException.ProtocolViolation e = org.junit.jupiter.api.Assertions.assertThrows(
                    P2pException.ProtocolViolation.class, () -> init.readMessage(tampered), "byte " + at);
            assertFalse(e.getMessage().isEmpty());
        }
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("cases")
    void everyTruncationOfAHandshakeMessageIsRejected(Vector v, ChaChaPolyProvider provider) throws Exception {
        byte[] message2 = v.ciphertexts().get(1);
        for (int len = 0; len < message2.length; len++) {
            HandshakeState init = new HandshakeState(true, v.initPrologue(),
                    X25519KeyPair.fromPrivateKey(v.initStatic()), () -> X25519KeyPair.fromPrivateKey(v.initEphemeral()), provider);
            init.writeMessage(v.payloads().get(0));
            byte[] truncated = java.util.Arrays.copyOf(message2, len);
            org.junit.jupiter.api.Assertions.assertThrows(P2pException.ProtocolViolation.class,
                    () -> init.readMessage(truncated), "length " + len);
        }
    }
}
