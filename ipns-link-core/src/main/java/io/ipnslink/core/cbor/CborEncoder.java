package io.ipnslink.core.cbor;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * Canonical DAG-CBOR encoder: shortest integer and length arguments, definite lengths only, map
 * keys in {@link CborValue#KEY_ORDER}, floats always 64-bit. Whatever it writes,
 * {@link CborDecoder} reads back to an equal value.
 */
public final class CborEncoder {
    private CborEncoder() {}

    /** @throws CborException when nesting is deeper than {@link CborDecoder#MAX_DEPTH} or the result too big */
    public static byte[] encode(CborValue value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        write(out, value, 0);
        if (out.size() > CborDecoder.MAX_INPUT_BYTES) {
            throw new CborException(CborException.Kind.LIMIT_EXCEEDED,
                    "encoded value is " + out.size() + " bytes, above the " + CborDecoder.MAX_INPUT_BYTES + "-byte limit");
        }
        return out.toByteArray();
    }

    /** {@code depth}: number of arrays and maps around {@code value}. */
    private static void write(ByteArrayOutputStream out, CborValue value, int depth) {
        if ((value instanceof CborValue.Array || value instanceof CborValue.Map) && depth >= CborDecoder.MAX_DEPTH) {
            throw new CborException(CborException.Kind.LIMIT_EXCEEDED,
                    "arrays and maps nest deeper than " + CborDecoder.MAX_DEPTH + " levels");
        }
        if (value instanceof CborValue.Int i) {
            BigInteger v = i.value();
            if (v.signum() >= 0) {
                writeHead(out, 0, v.longValue());
            } else {
                // -1 - n  ->  n = -1 - v
                writeHead(out, 1, BigInteger.ONE.negate().subtract(v).longValue());
            }
        } else if (value instanceof CborValue.Bytes b) {
            byte[] data = b.value();
            writeHead(out, 2, data.length);
            out.writeBytes(data);
        } else if (value instanceof CborValue.Text t) {
            byte[] data = t.value().getBytes(StandardCharsets.UTF_8);
            writeHead(out, 3, data.length);
            out.writeBytes(data);
        } else if (value instanceof CborValue.Array a) {
            writeHead(out, 4, a.items().size());
            for (CborValue item : a.items()) {
                write(out, item, depth + 1);
            }
        } else if (value instanceof CborValue.Map m) {
            writeHead(out, 5, m.entries().size());
            for (java.util.Map.Entry<String, CborValue> e : m.entries().entrySet()) {
                byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
                writeHead(out, 3, key.length);
                out.writeBytes(key);
                write(out, e.getValue(), depth + 1);
            }
        } else if (value instanceof CborValue.Bool b) {
            out.write(b.value() ? 0xf5 : 0xf4);
        } else if (value instanceof CborValue.Null) {
            out.write(0xf6);
        } else if (value instanceof CborValue.Float64 f) {
            out.write(0xfb);
            writeBigEndian(out, Double.doubleToRawLongBits(f.value()), 8);
        } else if (value instanceof CborValue.Link l) {
            writeHead(out, 6, CborDecoder.TAG_CID);
            byte[] cid = l.cidBytes();
            writeHead(out, 2, cid.length + 1L);
            out.write(0x00);
            out.writeBytes(cid);
        } else {
            throw new CborException(CborException.Kind.UNSUPPORTED, "cannot encode " + value);
        }
    }

    /** Major type and argument, the argument in its shortest form; {@code arg} is unsigned 64-bit. */
    static void writeHead(ByteArrayOutputStream out, int major, long arg) {
        int mt = major << 5;
        if (arg >= 0 && arg < 24) {
            out.write(mt | (int) arg);
        } else if (arg >= 0 && arg <= 0xff) {
            out.write(mt | 24);
            out.write((int) arg);
        } else if (arg >= 0 && arg <= 0xffff) {
            out.write(mt | 25);
            writeBigEndian(out, arg, 2);
        } else if (arg >= 0 && arg <= 0xffffffffL) {
            out.write(mt | 26);
            writeBigEndian(out, arg, 4);
        } else {
            out.write(mt | 27);
            writeBigEndian(out, arg, 8);
        }
    }

    private static void writeBigEndian(ByteArrayOutputStream out, long v, int n) {
        for (int i = n - 1; i >= 0; i--) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
    }

    /** @throws IllegalArgumentException when {@code s} has an unpaired surrogate (not encodable as UTF-8) */
    static void checkWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw new IllegalArgumentException("text has an unpaired surrogate at index " + i);
            }
            if (Character.isLowSurrogate(c)) {
                throw new IllegalArgumentException("text has an unpaired surrogate at index " + i);
            }
        }
    }
}
