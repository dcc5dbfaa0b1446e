package io.ipnslink.core.multiformats;

/** Multibase: a one-character prefix naming the base, then the encoded bytes. */
public final class Multibase {
    private Multibase() {}

    /** The bases this project reads and writes, with their prefix character. */
    public enum Base {
        BASE16('f'), BASE16_UPPER('F'),
        BASE32('b'), BASE32_UPPER('B'),
        BASE36('k'), BASE36_UPPER('K'),
        BASE58BTC('z'),
        BASE64('m'), BASE64_PAD('M'),
        BASE64URL('u'), BASE64URL_PAD('U');

        private final char prefix;

        Base(char prefix) {
            this.prefix = prefix;
        }

        public char prefix() {
            return prefix;
        }

        /** Encodes without the prefix character. */
        public String encodeRaw(byte[] data) {
            throw new UnsupportedOperationException("TODO");
        }

        /** Decodes text without the prefix character. @throws MultiformatException on bad input */
        public byte[] decodeRaw(String text) {
            throw new UnsupportedOperationException("TODO");
        }

        /** The base for a prefix character. @throws MultiformatException when unknown */
        public static Base forPrefix(char prefix) {
            for (Base b : values()) {
                if (b.prefix == prefix) {
                    return b;
                }
            }
            throw new MultiformatException("unknown multibase prefix '" + prefix + "'");
        }
    }

    /** Prefix + encoded text. */
    public static String encode(Base base, byte[] data) {
        return base.prefix() + base.encodeRaw(data);
    }

    /** Decodes prefixed text. @throws MultiformatException on empty, unknown prefix or bad digits */
    public static byte[] decode(String text) {
        throw new UnsupportedOperationException("TODO");
    }

    /** The base that prefixed text uses. */
    public static Base baseOf(String text) {
        if (text == null || text.isEmpty()) {
            throw new MultiformatException("empty multibase string");
        }
        return Base.forPrefix(text.charAt(0));
    }
}
