package io.ipnslink.core.crypto;

/** libp2p key types, numbered as in the PublicKey/PrivateKey protobuf {@code KeyType} enum. */
public enum KeyType {
    RSA(0), ED25519(1), SECP256K1(2), ECDSA(3);

    private final int number;

    KeyType(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    public static KeyType forNumber(int number) {
        for (KeyType t : values()) {
            if (t.number == number) {
                return t;
            }
        }
        throw new KeyFormatException("unknown key type " + number);
    }
}
