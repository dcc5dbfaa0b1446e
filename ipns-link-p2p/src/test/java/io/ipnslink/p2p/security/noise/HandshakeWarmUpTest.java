package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ipnslink.core.crypto.PrivKey;
import org.junit.jupiter.api.Test;

/** The warm-up runs complete, checked handshakes (not a loop that could do nothing). */
class HandshakeWarmUpTest {

    @Test
    void eachRoundIsACompleteHandshakeWithLibp2pPayloads() {
        assertEquals(5, HandshakeWarmUp.run(PrivKey.generateEd25519(), 5));
    }
}
