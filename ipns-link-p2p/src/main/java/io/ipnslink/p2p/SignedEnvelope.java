package io.ipnslink.p2p;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.core.crypto.KeyFormatException;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.core.multiformats.Varint;
import io.ipnslink.p2p.pb.EnvelopeProtos;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A signed envelope (libp2p RFC 0002): a payload with its type hint, signed by {@code publicKey}'s
 * owner under a domain string that is not transmitted. Immutable; arrays are copied in and out.
 */
public final class SignedEnvelope {
    /** Largest encoded envelope accepted by {@link #decode(byte[])}. */
    public static final int MAX_ENVELOPE_SIZE = 16 * 1024;

    private final PubKey publicKey;
    private final byte[] payloadType;
    private final byte[] payload;
    private final byte[] signature;

    private SignedEnvelope(PubKey publicKey, byte[] payloadType, byte[] payload, byte[] signature) {
        this.publicKey = Objects.requireNonNull(publicKey, "publicKey");
        this.payloadType = payloadType.clone();
        this.payload = payload.clone();
        this.signature = signature.clone();
    }

    /** Signs {@code payload} with {@code key} under {@code domain}. */
    public static SignedEnvelope seal(PrivKey key, String domain, byte[] payloadType, byte[] payload) {
        byte[] sig = key.sign(signatureInput(domain, payloadType, payload));
        return new SignedEnvelope(key.publicKey(), payloadType, payload, sig);
    }

    /**
     * Decodes an envelope without checking its signature (see {@link #open(byte[], String, byte[])}).
     *
     * @throws P2pException.ProtocolViolation when too large or malformed
     */
    public static SignedEnvelope decode(byte[] bytes) throws P2pException.ProtocolViolation {
        if (bytes.length > MAX_ENVELOPE_SIZE) {
            throw new P2pException.ProtocolViolation("signed envelope of " + bytes.length + " bytes exceeds "
                    + MAX_ENVELOPE_SIZE);
        }
        EnvelopeProtos.Envelope pb;
        try {
            pb = EnvelopeProtos.Envelope.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new P2pException.ProtocolViolation("signed envelope is not a valid protobuf: " + e.getMessage(), e);
        }
        if (pb.getPublicKey().isEmpty() || pb.getSignature().isEmpty()) {
            throw new P2pException.ProtocolViolation("signed envelope lacks a public key or signature");
        }
        PubKey key;
        try {
            key = PubKey.unmarshal(pb.getPublicKey().toByteArray());
        } catch (KeyFormatException e) {
            throw new P2pException.ProtocolViolation("signed envelope public key: " + e.getMessage(), e);
        }
        return new SignedEnvelope(key, pb.getPayloadType().toByteArray(), pb.getPayload().toByteArray(),
                pb.getSignature().toByteArray());
    }

    /**
     * Decodes and verifies an envelope of the expected domain and payload type.
     *
     * @throws P2pException.ProtocolViolation when malformed or of another payload type
     * @throws P2pException.BadPeer when the signature does not verify
     */
    public static SignedEnvelope open(byte[] bytes, String domain, byte[] expectedPayloadType) throws P2pException {
        SignedEnvelope env = decode(bytes);
        if (!Arrays.equals(env.payloadType, expectedPayloadType)) {
            throw new P2pException.ProtocolViolation("signed envelope has payload type "
                    + hex(env.payloadType) + ", expected " + hex(expectedPayloadType));
        }
        if (!env.verify(domain)) {
            throw new P2pException.BadPeer("signed envelope signature does not verify (domain " + domain + ")");
        }
        return env;
    }

    /** True when the signature is valid for {@code domain}. */
    public boolean verify(String domain) {
        return publicKey.verify(signatureInput(domain, payloadType, payload), signature);
    }

    public byte[] encode() {
        return EnvelopeProtos.Envelope.newBuilder()
                .setPublicKey(ByteString.copyFrom(publicKey.marshal()))
                .setPayloadType(ByteString.copyFrom(payloadType))
                .setPayload(ByteString.copyFrom(payload))
                .setSignature(ByteString.copyFrom(signature))
                .build()
                .toByteArray();
    }

    public PubKey publicKey() {
        return publicKey;
    }

    public byte[] payloadType() {
        return payloadType.clone();
    }

    public byte[] payload() {
        return payload.clone();
    }

    public byte[] signature() {
        return signature.clone();
    }

    /** RFC 0002: varint-prefixed domain, payload type and payload, concatenated. */
    static byte[] signatureInput(String domain, byte[] payloadType, byte[] payload) {
        byte[] d = domain.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(d.length + payloadType.length + payload.length + 12);
        for (byte[] part : new byte[][] {d, payloadType, payload}) {
            out.writeBytes(Varint.encode(part.length));
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder("0x");
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "SignedEnvelope{key=" + publicKey.type() + ", payloadType=" + hex(payloadType) + ", payload="
                + payload.length + " bytes}";
    }
}
