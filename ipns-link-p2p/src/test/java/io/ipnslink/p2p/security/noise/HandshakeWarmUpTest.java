package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ipnslink.core.crypto.PrivKey;
import org.junit.jupiter.api.Test;

/** The warm-up runs complete, checked handshakes (not a loop that could do nothing). */
class HandshakeWarmUpTest {

    @Test
    void eachRoundIsACompleteHandshakeWithLibp2pPayloads() {
        assertEquals(5, HandshakeWarmUp.run(PrivKey.generateEd25519(), 5, () -> true));
        assertEquals(0, HandshakeWarmUp.run(PrivKey.generateEd25519(), 5, () -> false), "stopped: none");
    }

    /** A host's close stops the background warm-up and waits for its thread: nothing of ours outlives it. */
    @Test
    void aClosedHostLeavesNoWarmUpThreadRunning() throws Exception {
        io.ipnslink.p2p.Host h = io.ipnslink.p2p.Host.builder().identity(PrivKey.generateEd25519())
                .listen(io.ipnslink.core.multiformats.Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        h.close();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            org.junit.jupiter.api.Assertions.assertFalse(t.getName().equals("noise-warm-up") && t.isAlive(),
                    "the warm-up thread outlived the host");
        }
    }
}

