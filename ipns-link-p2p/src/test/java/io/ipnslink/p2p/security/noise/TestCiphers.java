package io.ipnslink.p2p.security.noise;

import io.ipnslink.p2p.P2pException;
import java.security.SecureRandom;

/** Transport cipher states of both sides of a real XX handshake with random keys. */
final class TestCiphers {
    final HandshakeState.TransportCiphers initiator;
    final HandshakeState.TransportCiphers responder;

    private TestCiphers(HandshakeState.TransportCiphers initiator, HandshakeState.TransportCiphers responder) {
        this.initiator = initiator;
        this.responder = responder;
    }

    static TestCiphers handshake(ChaChaPolyProvider provider) {
        SecureRandom random = new SecureRandom();
        HandshakeState i = new HandshakeState(true, new byte[0], X25519KeyPair.generate(random),
                () -> X25519KeyPair.generate(random), provider);
        HandshakeState r = new HandshakeState(false, new byte[0], X25519KeyPair.generate(random),
                () -> X25519KeyPair.generate(random), provider);
        try {
            r.readMessage(i.writeMessage(new byte[0]));
            i.readMessage(r.writeMessage(new byte[0]));
            r.readMessage(i.writeMessage(new byte[0]));
        } catch (P2pException.ProtocolViolation e) {
            throw new AssertionError(e);
        }
        return new TestCiphers(i.split(), r.split());
    }

    /** Both directions keyed with fixed keys: every call gives identical, fresh cipher states. */
    static TestCiphers fixed(ChaChaPolyProvider provider) {
        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        java.util.Arrays.fill(k1, (byte) 1);
        java.util.Arrays.fill(k2, (byte) 2);
        CipherState[] c = new CipherState[4];
        for (int i = 0; i < 4; i++) {
            c[i] = new CipherState(provider);
            c[i].initializeKey(i % 2 == 0 ? k1 : k2);
        }
        return new TestCiphers(new HandshakeState.TransportCiphers(c[0], c[1]),
                new HandshakeState.TransportCiphers(c[3], c[2]));
    }

    NoiseTransportCodec initiatorCodec() {
        return new NoiseTransportCodec(initiator.sender(), initiator.receiver());
    }

    NoiseTransportCodec responderCodec() {
        return new NoiseTransportCodec(responder.sender(), responder.receiver());
    }
}
