package io.ipnslink.core.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.ipnslink.core.crypto.pb.CryptoPb;

/** Strict reading and canonical writing of the libp2p PublicKey/PrivateKey protobufs. */
final class KeyProtobuf {
    /** Largest key protobuf accepted (an 8192-bit RSA private key in PKCS#1 DER stays below 5 KiB). */
    static final int MAX_PROTOBUF_BYTES = 16 * 1024;

    private KeyProtobuf() {}

    /** Type and Data of a key container. */
    record Decoded(KeyType type, byte[] data) {}

    static Decoded decodePublic(byte[] protobuf) {
        check(protobuf, "PublicKey");
        try {
            CryptoPb.PublicKey pb = CryptoPb.PublicKey.parseFrom(protobuf);
            checkUnknown(pb.getUnknownFields(), "PublicKey");
            return new Decoded(KeyType.forNumber(pb.getType().getNumber()), pb.getData().toByteArray());
        } catch (InvalidProtocolBufferException e) {
            throw invalid("PublicKey", protobuf, e);
        }
    }

    static Decoded decodePrivate(byte[] protobuf) {
        check(protobuf, "PrivateKey");
        try {
            CryptoPb.PrivateKey pb = CryptoPb.PrivateKey.parseFrom(protobuf);
            checkUnknown(pb.getUnknownFields(), "PrivateKey");
            return new Decoded(KeyType.forNumber(pb.getType().getNumber()), pb.getData().toByteArray());
        } catch (InvalidProtocolBufferException e) {
            throw invalid("PrivateKey", protobuf, e);
        }
    }

    static byte[] encodePublic(KeyType type, byte[] data) {
        return CryptoPb.PublicKey.newBuilder()
                .setType(CryptoPb.KeyType.forNumber(type.number()))
                .setData(ByteString.copyFrom(data))
                .build()
                .toByteArray();
    }

    static byte[] encodePrivate(KeyType type, byte[] data) {
        return CryptoPb.PrivateKey.newBuilder()
                .setType(CryptoPb.KeyType.forNumber(type.number()))
                .setData(ByteString.copyFrom(data))
                .build()
                .toByteArray();
    }

    private static void check(byte[] protobuf, String what) {
        if (protobuf == null) {
            throw new NullPointerException(what);
        }
        if (protobuf.length == 0) {
            throw new KeyFormatException("empty " + what + " protobuf");
        }
        if (protobuf.length > MAX_PROTOBUF_BYTES) {
            throw new KeyFormatException(what + " protobuf of " + protobuf.length + " bytes exceeds the limit of "
                    + MAX_PROTOBUF_BYTES);
        }
    }

    private static void checkUnknown(UnknownFieldSet unknown, String what) {
        if (unknown.asMap().isEmpty()) {
            return;
        }
        if (unknown.hasField(1)) {
            // proto2 puts enum numbers it does not know into the unknown fields
            UnknownFieldSet.Field f = unknown.getField(1);
            if (!f.getVarintList().isEmpty()) {
                throw new KeyFormatException("unknown key type " + f.getVarintList().get(0) + " in " + what);
            }
        }
        throw new KeyFormatException(what + " protobuf has unexpected field(s) " + unknown.asMap().keySet());
    }

    private static KeyFormatException invalid(String what, byte[] protobuf, InvalidProtocolBufferException e) {
        // proto2 also reports an unknown enum value as a missing required field: name it properly
        try {
            UnknownFieldSet fields = UnknownFieldSet.parseFrom(protobuf);
            if (fields.hasField(1) && !fields.getField(1).getVarintList().isEmpty()) {
                long type = fields.getField(1).getVarintList().get(0);
                if (type < 0 || type > 3) {
                    return new KeyFormatException("unknown key type " + type + " in " + what, e);
                }
            }
        } catch (InvalidProtocolBufferException ignored) {
            // fall through to the generic message
        }
        String msg = e.getMessage() == null ? "malformed" : e.getMessage();
        if (msg.contains("missing required fields")) {
            msg = "missing required field(s): " + msg.substring(msg.indexOf("fields:") + 7).trim();
        } else if (msg.contains("truncated")) {
            msg = "truncated";
        }
        return new KeyFormatException("not a libp2p " + what + " protobuf: " + msg, e);
    }
}
