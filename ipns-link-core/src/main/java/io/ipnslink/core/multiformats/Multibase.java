package io.ipnslink.core.multiformats;

import java.util.Base64;

/**
 * Multibase: a one-character prefix naming the base, then the encoded bytes.
 *
 * <p>Decoding follows the multibase test vectors: base16, base32 and base36 accept either letter
 * case whatever the prefix; the prefix only fixes the case that encoding produces. base32 and
 * base64/base64url are unpadded; base64pad/base64urlpad require correct {@code =} padding.
 */
public final class Multibase {
    /** Longest text (without prefix) accepted by {@link Base#decodeRaw}, in characters. */
    public static final int MAX_TEXT_CHARS = 1 << 20;
    /**
     * Longest base36/base58btc text accepted: these bases need quadratic work, and they are only
     * used for short values (peer ids, CIDs, keys).
     */
    public static final int MAX_BIG_NUMBER_CHARS = 4096;

    private static final String BASE16_LOWER = "0123456789abcdef";
    private static final String BASE16_UPPER_DIGITS = "0123456789ABCDEF";
    private static final String BASE32_LOWER = "abcdefghijklmnopqrstuvwxyz234567";
    private static final String BASE36_LOWER = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final String BASE58_BTC = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

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
            if (data == null) {
                throw new NullPointerException("data");
            }
            switch (this) {
                case BASE16: return encodeBase16(data, BASE16_LOWER);
                case BASE16_UPPER: return encodeBase16(data, BASE16_UPPER_DIGITS);
                case BASE32: return encodeBase32(data);
                case BASE32_UPPER: return encodeBase32(data).toUpperCase(java.util.Locale.ROOT);
                case BASE36: return encodeBigNumber(data, BASE36_LOWER);
                case BASE36_UPPER: return encodeBigNumber(data, BASE36_LOWER).toUpperCase(java.util.Locale.ROOT);
                case BASE58BTC: return encodeBigNumber(data, BASE58_BTC);
                case BASE64: return Base64.getEncoder().withoutPadding().encodeToString(data);
                case BASE64_PAD: return Base64.getEncoder().encodeToString(data);
                case BASE64URL: return Base64.getUrlEncoder().withoutPadding().encodeToString(data);
                case BASE64URL_PAD: return Base64.getUrlEncoder().encodeToString(data);
                default: throw new AssertionError(this);
            }
        }

        /** Decodes text without the prefix character. @throws MultiformatException on bad input */
        public byte[] decodeRaw(String text) {
            if (text == null) {
                throw new NullPointerException("text");
            }
            if (text.length() > MAX_TEXT_CHARS) {
                throw new MultiformatException(displayName() + " text too long: " + text.length()
                        + " characters, limit " + MAX_TEXT_CHARS);
            }
            switch (this) {
                case BASE16:
                case BASE16_UPPER:
                    return decodeBase16(text);
                case BASE32:
                case BASE32_UPPER:
                    return decodeBase32(text);
                case BASE36:
                case BASE36_UPPER:
                    return decodeBigNumber(text, BASE36_LOWER, true, "base36");
                case BASE58BTC:
                    return decodeBigNumber(text, BASE58_BTC, false, "base58btc");
                case BASE64:
                    return decodeBase64(text, false, false);
                case BASE64_PAD:
                    return decodeBase64(text, false, true);
                case BASE64URL:
                    return decodeBase64(text, true, false);
                case BASE64URL_PAD:
                    return decodeBase64(text, true, true);
                default:
                    throw new AssertionError(this);
            }
        }

        /** The multibase table's name: {@code base32}, {@code base64urlpad}, ... */
        public String displayName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace("_", "");
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
        Base base = baseOf(text);
        return base.decodeRaw(text.substring(1));
    }

    /** The base that prefixed text uses. */
    public static Base baseOf(String text) {
        if (text == null || text.isEmpty()) {
            throw new MultiformatException("empty multibase string");
        }
        return Base.forPrefix(text.charAt(0));
    }

    /** Bare base58btc (no prefix), as used for peer ids and CIDv0. */
    public static String encodeBase58(byte[] data) {
        return Base.BASE58BTC.encodeRaw(data);
    }

    /** Bare base58btc (no prefix). @throws MultiformatException on bad characters */
    public static byte[] decodeBase58(String text) {
        return Base.BASE58BTC.decodeRaw(text);
    }

    // ---- base16 ----

    private static String encodeBase16(byte[] data, String digits) {
        char[] out = new char[data.length * 2];
        for (int i = 0; i < data.length; i++) {
            out[2 * i] = digits.charAt((data[i] >> 4) & 0xF);
            out[2 * i + 1] = digits.charAt(data[i] & 0xF);
        }
        return new String(out);
    }

    private static byte[] decodeBase16(String text) {
        if (text.length() % 2 != 0) {
            throw new MultiformatException("base16 text has an odd number of digits (" + text.length() + ")");
        }
        byte[] out = new byte[text.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = hexDigit(text, 2 * i);
            int lo = hexDigit(text, 2 * i + 1);
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    private static int hexDigit(String text, int index) {
        char c = text.charAt(index);
        int v = Character.digit(c, 16);
        if (v < 0 || c > 'f') {
            throw badChar("base16", text, index);
        }
        return v;
    }

    // ---- base32 (RFC 4648 alphabet, no padding) ----

    private static String encodeBase32(byte[] data) {
        StringBuilder sb = new StringBuilder((data.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xFF);
            bits += 8;
            while (bits >= 5) {
                sb.append(BASE32_LOWER.charAt((buffer >> (bits - 5)) & 0x1F));
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(BASE32_LOWER.charAt((buffer << (5 - bits)) & 0x1F));
        }
        return sb.toString();
    }

    private static byte[] decodeBase32(String text) {
        int rem = text.length() % 8;
        if (text.indexOf('=') >= 0) {
            throw new MultiformatException("base32 multibase text must not contain '=' padding");
        }
        byte[] out = new byte[text.length() * 5 / 8];
        int buffer = 0;
        int bits = 0;
        int o = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int v;
            if (c >= 'a' && c <= 'z') {
                v = c - 'a';
            } else if (c >= 'A' && c <= 'Z') {
                v = c - 'A';
            } else if (c >= '2' && c <= '7') {
                v = c - '2' + 26;
            } else {
                throw badChar("base32", text, i);
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out[o++] = (byte) (buffer >> (bits - 8));
                bits -= 8;
                buffer &= (1 << bits) - 1;
            }
        }
        if (rem == 1 || rem == 3 || rem == 6) {
            throw new MultiformatException("base32 text has an impossible length " + text.length()
                    + " (truncated?)");
        }
        return out;
    }

    // ---- base36 / base58btc: big-number bases with leading-zero preservation ----

    private static String encodeBigNumber(byte[] data, String alphabet) {
        int base = alphabet.length();
        int zeros = 0;
        while (zeros < data.length && data[zeros] == 0) {
            zeros++;
        }
        // digits in little-endian order
        int[] digits = new int[data.length * 2 + 1];
        int len = 0;
        for (int i = zeros; i < data.length; i++) {
            int carry = data[i] & 0xFF;
            for (int j = 0; j < len; j++) {
                carry += digits[j] << 8;
                digits[j] = carry % base;
                carry /= base;
            }
            while (carry > 0) {
                digits[len++] = carry % base;
                carry /= base;
            }
        }
        StringBuilder sb = new StringBuilder(zeros + len);
        for (int i = 0; i < zeros; i++) {
            sb.append(alphabet.charAt(0));
        }
        for (int i = len - 1; i >= 0; i--) {
            sb.append(alphabet.charAt(digits[i]));
        }
        return sb.toString();
    }

    private static byte[] decodeBigNumber(String text, String alphabet, boolean caseInsensitive, String name) {
        if (text.length() > MAX_BIG_NUMBER_CHARS) {
            throw new MultiformatException(name + " text too long: " + text.length()
                    + " characters, limit " + MAX_BIG_NUMBER_CHARS);
        }
        int base = alphabet.length();
        char zeroChar = alphabet.charAt(0);
        int zeros = 0;
        while (zeros < text.length() && text.charAt(zeros) == zeroChar) {
            zeros++;
        }
        byte[] bytes = new byte[text.length()]; // little-endian base-256
        int len = 0;
        for (int i = zeros; i < text.length(); i++) {
            char c = text.charAt(i);
            if (caseInsensitive && c >= 'A' && c <= 'Z') {
                c = (char) (c - 'A' + 'a');
            }
            int v = c < 128 ? alphabet.indexOf(c) : -1;
            if (v < 0) {
                throw badChar(name, text, i);
            }
            int carry = v;
            for (int j = 0; j < len; j++) {
                carry += (bytes[j] & 0xFF) * base;
                bytes[j] = (byte) carry;
                carry >>>= 8;
            }
            while (carry > 0) {
                bytes[len++] = (byte) carry;
                carry >>>= 8;
            }
        }
        byte[] out = new byte[zeros + len];
        for (int i = 0; i < len; i++) {
            out[zeros + i] = bytes[len - 1 - i];
        }
        return out;
    }

    // ---- base64 ----

    private static byte[] decodeBase64(String text, boolean url, boolean padded) {
        String name = url ? (padded ? "base64urlpad" : "base64url") : (padded ? "base64pad" : "base64");
        String alphabet = url
                ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        int end = text.length();
        if (padded) {
            if (text.length() % 4 != 0) {
                throw new MultiformatException(name + " text length " + text.length()
                        + " is not a multiple of 4 (missing or extra '=' padding?)");
            }
            while (end > 0 && text.charAt(end - 1) == '=' && text.length() - end < 2) {
                end--;
            }
        }
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c == '=') {
                throw new MultiformatException(padded
                        ? name + " text has '=' padding in the wrong place (index " + i + ")"
                        : name + " multibase text must not contain '=' padding (use the padded variant)");
            }
            if (c >= 128 || alphabet.indexOf(c) < 0) {
                throw badChar(name, text, i);
            }
        }
        if (end % 4 == 1) {
            throw new MultiformatException(name + " text has an impossible length (truncated?)");
        }
        try {
            byte[] out = (url ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(
                    padded ? text : text + "==".substring(0, (4 - end % 4) % 4));
            return out;
        } catch (IllegalArgumentException e) {
            throw new MultiformatException(name + " text is invalid: " + e.getMessage(), e);
        }
    }

    private static MultiformatException badChar(String base, String text, int index) {
        char c = text.charAt(index);
        String shown = Character.isISOControl(c) || c > 126
                ? String.format("U+%04X", (int) c)
                : "'" + c + "'";
        return new MultiformatException("invalid " + base + " character " + shown + " at index " + index);
    }
}
