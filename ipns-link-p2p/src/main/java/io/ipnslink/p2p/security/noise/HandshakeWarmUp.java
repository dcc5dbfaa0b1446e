package io.ipnslink.p2p.security.noise;

import io.ipnslink.core.crypto.PrivKey;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the libp2p Noise XX handshake (X25519, the Ed25519-signed static key payloads, SHA-256,
 * ChaCha20-Poly1305) between two in-memory parties a few hundred times, once per JVM, on a
 * background thread of the lowest priority, so that the JIT has compiled the handshake's
 * cryptography before the first connections need it.
 *
 * <p>Why: a gateway dials an exposer once per site and an exposer accepts one connection per
 * gateway, so in a running process the handshake code stays interpreted for a long time, and an
 * interpreted handshake costs tens of milliseconds per party (the JDK's X25519 and Ed25519 are Java
 * code): measured, a visitor's first request to a site a gateway has not dialed yet took 57-129 ms
 * where the js-libp2p chain (native crypto) took 16-45 ms. The warm-up costs a few seconds of
 * one core, off the request path. {@code -Dipnslink.noise.warm-up=false} turns it off. A host's
 * {@code close()} calls {@link #stop()}, so that no thread of ours outlives an undeployed web
 * application.
 */
public final class HandshakeWarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(HandshakeWarmUp.class);
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    /** Set by {@link #stop()}: the running warm-up ends after its current handshake. */
    private static volatile boolean stopped;
    private static volatile Thread running;
    /** Handshakes run by the background warm-up. */
    static final int ROUNDS = 300;

    private HandshakeWarmUp() {
    }

    /** Starts the warm-up unless it ran (or runs) in this JVM already or is switched off. */
    public static void startOnce(PrivKey identity) {
        if (!Boolean.parseBoolean(System.getProperty("ipnslink.noise.warm-up", "true"))
                || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            long t0 = System.nanoTime();
            int done = run(identity, ROUNDS, () -> !stopped);
            LOG.debug("Noise handshake warm-up: {} handshakes in {} ms", done, (System.nanoTime() - t0) / 1_000_000);
        }, "noise-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        running = t;
        t.start();
    }

    /**
     * Ends a running warm-up (after its current handshake) and waits for its thread, at most 5 s;
     * none starts again in this class's lifetime.
     */
    public static void stop() {
        STARTED.set(true);
        stopped = true;
        Thread t = running;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * {@code rounds} complete handshakes with libp2p payloads and one transport message each way,
     * while {@code going} says so; returns how many completed (each is checked: a failure ends the
     * warm-up, it never throws).
     */
    static int run(PrivKey identity, int rounds, java.util.function.BooleanSupplier going) {
        SecureRandom random = new SecureRandom();
        List<String> muxers = List.of("/yamux/1.0.0");
        byte[] message = new byte[1024];
        int done = 0;
        try {
            for (; done < rounds && going.getAsBoolean(); done++) {
                X25519KeyPair is = X25519KeyPair.generate(random);
                X25519KeyPair rs = X25519KeyPair.generate(random);
                HandshakeState i = new HandshakeState(true, new byte[0], is, () -> X25519KeyPair.generate(random),
                        ChaChaPolyProvider.JDK);
                HandshakeState r = new HandshakeState(false, new byte[0], rs, () -> X25519KeyPair.generate(random),
                        ChaChaPolyProvider.JDK);
                r.readMessage(i.writeMessage(new byte[0]));
                i.readMessage(r.writeMessage(HandshakePayloads.create(identity, rs.publicKey(), muxers)));
                HandshakePayloads.verify(HandshakePayloads.create(identity, rs.publicKey(), muxers), rs.publicKey(),
                        identity.peerId());
                r.readMessage(i.writeMessage(HandshakePayloads.create(identity, is.publicKey(), muxers)));
                HandshakeState.TransportCiphers ic = i.split();
                HandshakeState.TransportCiphers rc = r.split();
                byte[] back = rc.receiver().decryptWithAd(new byte[0], ic.sender().encryptWithAd(new byte[0], message));
                if (back.length != message.length) {
                    throw new IllegalStateException("transport message changed length");
                }
            }
        } catch (Exception | LinkageError e) {
            LOG.debug("Noise handshake warm-up stopped after {} handshakes: {}", done, e.toString());
        }
        return done;
    }
}
