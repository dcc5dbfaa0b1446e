package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class HandshakeStateTest {
    private final SecureRandom random = new SecureRandom();

    private HandshakeState state(boolean initiator, byte[] prologue) {
        return new HandshakeState(initiator, prologue, X25519KeyPair.generate(random),
                () -> X25519KeyPair.generate(random), ChaChaPolyProvider.JDK);
    }

    @Test
    void turnsAlternateAndOutOfTurnCallsAreRefused() throws Exception {
        HandshakeState i = state(true, new byte[0]);
        HandshakeState r = state(false, new byte[0]);
        assertTrue(i.isMyTurnToWrite());
        assertFalse(r.isMyTurnToWrite());
        assertThrows(IllegalStateException.class, () -> r.writeMessage(new byte[0]));
        assertThrows(IllegalStateException.class, () -> i.readMessage(new byte[32]));
        r.readMessage(i.writeMessage(new byte[0]));
        assertThrows(IllegalStateException.class, () -> i.writeMessage(new byte[0]));
        i.readMessage(r.writeMessage(new byte[0]));
        assertThrows(IllegalStateException.class, () -> i.split(), "not complete yet");
        r.readMessage(i.writeMessage(new byte[0]));
        assertTrue(i.isComplete() && r.isComplete());
        assertArrayEquals(i.handshakeHash(), r.handshakeHash());
        assertThrows(IllegalStateException.class, () -> i.writeMessage(new byte[0]));
        i.split();
        assertThrows(IllegalStateException.class, () -> i.split(), "split twice");
    }

    @Test
    void aDifferentPrologueFailsAuthenticationAtMessageTwo() throws Exception {
        HandshakeState i = state(true, new byte[] {1});
        HandshakeState r = state(false, new byte[] {2});
        r.readMessage(i.writeMessage(new byte[0])); // message 1 is not authenticated
        byte[] m2 = r.writeMessage(new byte[0]);
        assertThrows(P2pException.ProtocolViolation.class, () -> i.readMessage(m2));
    }

    @Test
    void aPayloadThatWouldExceedTheNoiseMessageLimitIsRefused() throws Exception {
        HandshakeState i = state(true, new byte[0]);
        HandshakeState r = state(false, new byte[0]);
        r.readMessage(i.writeMessage(new byte[0]));
        // message 2 = 32 (e) + 48 (s) + payload + 16
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r.writeMessage(new byte[HandshakeState.MAX_MESSAGE_LENGTH - 32 - 48 - 16 + 1]));
        assertTrue(e.getMessage().contains("65535"), e.getMessage());
        HandshakeState r2 = state(false, new byte[0]);
        HandshakeState i2 = state(true, new byte[0]);
        r2.readMessage(i2.writeMessage(new byte[0]));
        byte[] max = r2.writeMessage(new byte[HandshakeState.MAX_MESSAGE_LENGTH - 32 - 48 - 16]);
        assertTrue(max.length == HandshakeState.MAX_MESSAGE_LENGTH);
        i2.readMessage(max);
    }

    @Test
    void aMessageLongerThanTheNoiseLimitIsAProtocolViolation() throws Exception {
        HandshakeState i = state(true, new byte[0]);
        i.writeMessage(new byte[0]);
        assertThrows(P2pException.ProtocolViolation.class,
                () -> i.readMessage(new byte[HandshakeState.MAX_MESSAGE_LENGTH + 1]));
    }
}
