package io.ipnslink.p2p.security.noise;

import io.ipnslink.p2p.P2pException;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Noise {@code HandshakeState} (rev 34, section 5.3) for {@value #PROTOCOL_NAME}, the only
 * protocol libp2p uses:
 * <pre>
 * XX:
 *   -&gt; e
 *   &lt;- e, ee, s, es
 *   -&gt; s, se
 * </pre>
 * The caller alternates {@link #writeMessage} and {@link #readMessage} (the initiator writes
 * first); after three messages {@link #split()} gives the transport cipher states. Key generation
 * is injected so tests can use fixed ephemeral keys. After any exception the handshake cannot
 * continue: abort the connection. Not thread safe.
 */
public final class HandshakeState {
    /** The Noise protocol name, hashed into the initial state. */
    public static final String PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256";
    /** Largest Noise message (handshake or transport), rev 34 section 3. */
    public static final int MAX_MESSAGE_LENGTH = 65535;

    private enum Token { E, S, EE, ES, SE }

    private static final Token[][] XX = {
        {Token.E},
        {Token.E, Token.EE, Token.S, Token.ES},
        {Token.S, Token.SE},
    };

    private final boolean initiator;
    private final SymmetricState symmetric;
    private final X25519KeyPair localStatic;
    private final Supplier<X25519KeyPair> ephemeralKeys;
    private X25519KeyPair localEphemeral;
    private byte[] remoteStatic;
    private byte[] remoteEphemeral;
    private int messageIndex;
    private boolean split;

    /**
     * {@code Initialize(handshake_pattern=XX, initiator, prologue, s, e=empty, rs=empty, re=empty)}.
     *
     * @param prologue      data both sides must agree on (empty for libp2p over TCP)
     * @param localStatic   this side's static key pair
     * @param ephemeralKeys called once, when this side's {@code e} token is written
     * @param cipher        the ChaCha20-Poly1305 implementation
     */
    public HandshakeState(boolean initiator, byte[] prologue, X25519KeyPair localStatic,
            Supplier<X25519KeyPair> ephemeralKeys, ChaChaPolyProvider cipher) {
        this.initiator = initiator;
        this.localStatic = Objects.requireNonNull(localStatic, "localStatic");
        this.ephemeralKeys = Objects.requireNonNull(ephemeralKeys, "ephemeralKeys");
        this.symmetric = new SymmetricState(PROTOCOL_NAME, Objects.requireNonNull(cipher, "cipher"));
        symmetric.mixHash(prologue);
    }

    public boolean isInitiator() {
        return initiator;
    }

    /** True once all three messages were written or read. */
    public boolean isComplete() {
        return messageIndex == XX.length;
    }

    /** True when the next step is {@link #writeMessage} (false when reading, or when complete). */
    public boolean isMyTurnToWrite() {
        return !isComplete() && (messageIndex % 2 == 0) == initiator;
    }

    /** Index (0, 1, 2) of the next handshake message; 3 when complete. */
    public int messageIndex() {
        return messageIndex;
    }

    /** The remote static public key, once it was read; else null. */
    public byte[] remoteStaticPublicKey() {
        return remoteStatic == null ? null : remoteStatic.clone();
    }

    /** This side's static public key. */
    public byte[] localStaticPublicKey() {
        return localStatic.publicKey();
    }

    /** The handshake hash {@code h}; after the handshake it identifies the session (channel binding). */
    public byte[] handshakeHash() {
        return symmetric.handshakeHash();
    }

    /**
     * {@code WriteMessage(payload, message_buffer)}: the next handshake message carrying {@code payload}.
     *
     * @throws IllegalStateException when it is not this side's turn to write
     * @throws IllegalArgumentException when the message would exceed {@value #MAX_MESSAGE_LENGTH} bytes
     */
    public byte[] writeMessage(byte[] payload) {
        if (!isMyTurnToWrite()) {
            throw new IllegalStateException("not this side's turn to write (message " + messageIndex + ")");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(96 + payload.length);
        try {
            for (Token token : XX[messageIndex]) {
                switch (token) {
                    case E -> {
                        localEphemeral = Objects.requireNonNull(ephemeralKeys.get(), "ephemeral key");
                        byte[] pub = localEphemeral.publicKey();
                        out.writeBytes(pub);
                        symmetric.mixHash(pub);
                    }
                    case S -> out.writeBytes(symmetric.encryptAndHash(localStatic.publicKey()));
                    case EE -> symmetric.mixKey(localEphemeral.dh(remoteEphemeral));
                    case ES -> symmetric.mixKey(initiator ? localEphemeral.dh(remoteStatic) : localStatic.dh(remoteEphemeral));
                    case SE -> symmetric.mixKey(initiator ? localStatic.dh(remoteEphemeral) : localEphemeral.dh(remoteStatic));
                    default -> throw new AssertionError(token);
                }
            }
        } catch (GeneralSecurityException e) {
            // Remote keys were checked when they were read; a failure here is a local bug.
            throw new IllegalStateException("X25519 failed while writing a handshake message", e);
        }
        out.writeBytes(symmetric.encryptAndHash(payload));
        if (out.size() > MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("Noise handshake message of " + out.size()
                    + " bytes exceeds " + MAX_MESSAGE_LENGTH + " (payload too large)");
        }
        messageIndex++;
        return out.toByteArray();
    }

    /**
     * {@code ReadMessage(message, payload_buffer)}: processes the next handshake message from the
     * remote side and returns its decrypted payload.
     *
     * @throws P2pException.ProtocolViolation when the message is malformed, too short, too long,
     *                                        carries a low-order key or fails authentication
     * @throws IllegalStateException          when it is not this side's turn to read
     */
    public byte[] readMessage(byte[] message) throws P2pException.ProtocolViolation {
        if (isComplete() || isMyTurnToWrite()) {
            throw new IllegalStateException("not this side's turn to read (message " + messageIndex + ")");
        }
        if (message.length > MAX_MESSAGE_LENGTH) {
            throw new P2pException.ProtocolViolation("Noise handshake message of " + message.length
                    + " bytes exceeds " + MAX_MESSAGE_LENGTH);
        }
        int pos = 0;
        try {
            for (Token token : XX[messageIndex]) {
                switch (token) {
                    case E -> {
                        remoteEphemeral = take(message, pos, X25519KeyPair.KEY_LENGTH, "ephemeral key");
                        pos += X25519KeyPair.KEY_LENGTH;
                        symmetric.mixHash(remoteEphemeral);
                    }
                    case S -> {
                        int len = X25519KeyPair.KEY_LENGTH + (symmetric.hasKey() ? CipherState.TAG_LENGTH : 0);
                        byte[] encrypted = take(message, pos, len, "static key");
                        pos += len;
                        remoteStatic = symmetric.decryptAndHash(encrypted);
                    }
                    case EE -> symmetric.mixKey(localEphemeral.dh(remoteEphemeral));
                    case ES -> symmetric.mixKey(initiator ? localEphemeral.dh(remoteStatic) : localStatic.dh(remoteEphemeral));
                    case SE -> symmetric.mixKey(initiator ? localStatic.dh(remoteEphemeral) : localEphemeral.dh(remoteStatic));
                    default -> throw new AssertionError(token);
                }
            }
        } catch (GeneralSecurityException e) {
            throw new P2pException.ProtocolViolation("Noise handshake message " + messageIndex
                    + " carries an unusable X25519 key: " + e.getMessage());
        }
        byte[] payload = symmetric.decryptAndHash(Arrays.copyOfRange(message, pos, message.length));
        messageIndex++;
        return payload;
    }

    /**
     * {@code Split()}: once the handshake is complete, the pair of transport cipher states for
     * this side. Can be called once.
     */
    public TransportCiphers split() {
        if (!isComplete()) {
            throw new IllegalStateException("Noise handshake not complete (message " + messageIndex + " of 3)");
        }
        if (split) {
            throw new IllegalStateException("Split() already called");
        }
        split = true;
        CipherState[] c = symmetric.split();
        return initiator ? new TransportCiphers(c[0], c[1]) : new TransportCiphers(c[1], c[0]);
    }

    private byte[] take(byte[] message, int pos, int len, String what) throws P2pException.ProtocolViolation {
        if (message.length - pos < len) {
            throw new P2pException.ProtocolViolation("Noise handshake message " + messageIndex + " of "
                    + message.length + " bytes is too short for its " + what);
        }
        return Arrays.copyOfRange(message, pos, pos + len);
    }

    /** The two transport cipher states of one side: one to encrypt what it sends, one to decrypt what it receives. */
    public record TransportCiphers(CipherState sender, CipherState receiver) {
    }
}
