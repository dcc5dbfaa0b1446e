/**
 * noise-libp2p (libp2p/specs {@code noise/README.md}), protocol id {@code /noise}: the
 * {@code Noise_XX_25519_ChaChaPoly_SHA256} handshake and transport encryption of a raw connection.
 *
 * <p>The Noise core follows the Noise Protocol Framework rev 34 with crypto from the JDK (X25519,
 * SHA-256, HMAC-SHA256) and a selectable ChaCha20-Poly1305 ({@link
 * io.ipnslink.p2p.security.noise.ChaChaPolyProvider}): {@link
 * io.ipnslink.p2p.security.noise.CipherState}, {@code SymmetricState}, {@link
 * io.ipnslink.p2p.security.noise.HandshakeState}. The libp2p layer is {@link
 * io.ipnslink.p2p.security.noise.NoiseSecurityHandler} (handshake, identity check, early muxer
 * negotiation), which replaces itself with {@link io.ipnslink.p2p.security.noise.NoiseTransportCodec}.
 */
package io.ipnslink.p2p.security.noise;
