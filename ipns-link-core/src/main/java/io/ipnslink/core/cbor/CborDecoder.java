package io.ipnslink.core.cbor;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * Strict DAG-CBOR decoder. Accepts exactly one item filling the whole input, in canonical form:
 * shortest integer and length arguments, definite lengths, text map keys in canonical order
 * without duplicates, 64-bit finite floats, valid UTF-8, only {@code true}/{@code false}/{@code null}
 * as simple values and only tag 42 (CID link). Everything else is a {@link CborException} naming
 * the problem and its byte offset. Bounded: at most {@link #MAX_INPUT_BYTES} of input and
 * {@link #MAX_DEPTH} nested arrays/maps; a declared length is checked against the remaining input
 * before anything is allocated for it.
 */
public final class CborDecoder {
    /** Largest input accepted (IPNS records are at most 10 KiB; this leaves room for other uses). */
    public static final int MAX_INPUT_BYTES = 1024 * 1024;
    /** Deepest nesting of arrays and maps accepted (and written by {@link CborEncoder}). */
    public static final int MAX_DEPTH = 64;
    /** The only tag DAG-CBOR allows: a CID link. */
    public static final long TAG_CID = 42;

    private static final String[] MAJOR_NAMES = {
        "unsigned integer", "negative integer", "byte string", "text string",
        "array", "map", "tag", "simple value or float"
    };

    private final byte[] in;
    private int pos;

    private CborDecoder(byte[] in) {
        this.in = in;
    }

    /** Decodes one DAG-CBOR item filling all of {@code input}. */
    public static CborValue decode(byte[] input) {
        if (input == null) {
            throw new CborException(CborException.Kind.MALFORMED, "input is null");
        }
        if (input.length > MAX_INPUT_BYTES) {
            throw new CborException(CborException.Kind.LIMIT_EXCEEDED, 0,
                    "input is " + input.length + " bytes, above the " + MAX_INPUT_BYTES + "-byte limit");
        }
        if (input.length == 0) {
            throw new CborException(CborException.Kind.TRUNCATED, 0, "input is empty");
        }
        CborDecoder d = new CborDecoder(input);
        CborValue v = d.readItem(0);
        if (d.pos != input.length) {
            throw new CborException(CborException.Kind.TRAILING_BYTES, d.pos,
                    (input.length - d.pos) + " byte(s) after the end of the CBOR item");
        }
        return v;
    }

    /** Decodes one item that must be a map. */
    public static CborValue.Map decodeMap(byte[] input) {
        CborValue v = decode(input);
        if (v instanceof CborValue.Map m) {
            return m;
        }
        throw new CborException(CborException.Kind.UNSUPPORTED, 0,
                "expected a map, found " + typeName(v));
    }

    /** Human name of a value's type, for messages. */
    public static String typeName(CborValue v) {
        if (v instanceof CborValue.Int i) {
            return i.isNegative() ? "negative integer" : "unsigned integer";
        } else if (v instanceof CborValue.Bytes) {
            return "byte string";
        } else if (v instanceof CborValue.Text) {
            return "text string";
        } else if (v instanceof CborValue.Array) {
            return "array";
        } else if (v instanceof CborValue.Map) {
            return "map";
        } else if (v instanceof CborValue.Bool) {
            return "boolean";
        } else if (v instanceof CborValue.Null) {
            return "null";
        } else if (v instanceof CborValue.Float64) {
            return "float";
        } else {
            return "CID link";
        }
    }

    /** {@code depth}: number of arrays and maps around the item being read. */
    private CborValue readItem(int depth) {
        int start = pos;
        int initial = readByte("an item");
        int major = initial >>> 5;
        int ai = initial & 0x1f;
        if (major == 7) {
            return readSimple(start, ai);
        }
        if (ai >= 28 && ai <= 30) {
            throw new CborException(CborException.Kind.MALFORMED, start,
                    "reserved additional information " + ai + " in the head of a " + MAJOR_NAMES[major]);
        }
        if (ai == 31) {
            if (major >= 2 && major <= 5) {
                throw new CborException(CborException.Kind.UNSUPPORTED, start,
                        "indefinite-length " + MAJOR_NAMES[major] + " (DAG-CBOR allows definite lengths only)");
            }
            throw new CborException(CborException.Kind.MALFORMED, start,
                    "additional information 31 is not valid for a " + MAJOR_NAMES[major]);
        }
        long arg = readArgument(start, ai, MAJOR_NAMES[major]);
        switch (major) {
            case 0:
                return new CborValue.Int(unsigned(arg));
            case 1:
                return new CborValue.Int(BigInteger.ONE.negate().subtract(unsigned(arg)));
            case 2:
                return new CborValue.Bytes(readPayload(start, arg, "byte string"));
            case 3:
                return new CborValue.Text(utf8(start, readPayload(start, arg, "text string")));
            case 4:
                return readArray(start, arg, depth);
            case 5:
                return readMap(start, arg, depth);
            default:
                return readTag(start, arg);
        }
    }

    private CborValue readSimple(int start, int ai) {
        switch (ai) {
            case 20:
                return CborValue.Bool.FALSE;
            case 21:
                return CborValue.Bool.TRUE;
            case 22:
                return CborValue.Null.INSTANCE;
            case 23:
                throw new CborException(CborException.Kind.UNSUPPORTED, start,
                        "'undefined' is not allowed in DAG-CBOR");
            case 24:
                throw new CborException(CborException.Kind.UNSUPPORTED, start,
                        "simple values other than true, false and null are not allowed in DAG-CBOR");
            case 25:
            case 26:
                throw new CborException(CborException.Kind.NOT_CANONICAL, start,
                        (ai == 25 ? "16" : "32") + "-bit float (DAG-CBOR requires 64-bit floats)");
            case 27: {
                need(8, "a 64-bit float");
                double d = Double.longBitsToDouble(readBigEndian(8));
                if (!Double.isFinite(d)) {
                    throw new CborException(CborException.Kind.UNSUPPORTED, start,
                            "NaN and infinite floats are not allowed in DAG-CBOR");
                }
                return new CborValue.Float64(d);
            }
            case 31:
                throw new CborException(CborException.Kind.MALFORMED, start,
                        "unexpected 'break' byte 0xff (indefinite lengths are not allowed in DAG-CBOR)");
            default:
                if (ai >= 28) {
                    throw new CborException(CborException.Kind.MALFORMED, start,
                            "reserved additional information " + ai + " in a simple value");
                }
                throw new CborException(CborException.Kind.UNSUPPORTED, start,
                        "simple value " + ai + " is not allowed in DAG-CBOR");
        }
    }

    /** The head's argument (unsigned 64-bit bits); rejects a longer encoding than needed. */
    private long readArgument(int start, int ai, String what) {
        if (ai < 24) {
            return ai;
        }
        int size = 1 << (ai - 24); // 24 -> 1, 25 -> 2, 26 -> 4, 27 -> 8
        need(size, "the argument of a " + what);
        long v = readBigEndian(size);
        long min = size == 1 ? 24 : 1L << (8 * (size / 2));
        if (Long.compareUnsigned(v, min) < 0) {
            throw new CborException(CborException.Kind.NOT_CANONICAL, start,
                    "non-shortest encoding: " + what + " argument " + Long.toUnsignedString(v)
                            + " written in " + (size + 1) + " bytes");
        }
        return v;
    }

    private byte[] readPayload(int start, long length, String what) {
        int remaining = in.length - pos;
        if (Long.compareUnsigned(length, remaining) > 0) {
            throw new CborException(CborException.Kind.TRUNCATED, start,
                    what + " declares " + Long.toUnsignedString(length) + " bytes but only " + remaining + " remain");
        }
        byte[] out = Arrays.copyOfRange(in, pos, pos + (int) length);
        pos += (int) length;
        return out;
    }

    private CborValue.Array readArray(int start, long count, int depth) {
        checkDepth(start, depth);
        int remaining = in.length - pos;
        if (Long.compareUnsigned(count, remaining) > 0) {
            throw new CborException(CborException.Kind.TRUNCATED, start,
                    "array declares " + Long.toUnsignedString(count) + " items but only " + remaining + " bytes remain");
        }
        List<CborValue> items = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            items.add(readItem(depth + 1));
        }
        return new CborValue.Array(items);
    }

    private CborValue.Map readMap(int start, long count, int depth) {
        checkDepth(start, depth);
        int remaining = in.length - pos;
        if (Long.compareUnsigned(count, remaining / 2) > 0) {
            throw new CborException(CborException.Kind.TRUNCATED, start,
                    "map declares " + Long.toUnsignedString(count) + " entries but only " + remaining + " bytes remain");
        }
        TreeMap<String, CborValue> entries = new TreeMap<>(CborValue.KEY_ORDER);
        byte[] previousKey = null;
        String previous = null;
        for (long i = 0; i < count; i++) {
            int keyStart = pos;
            int initial = readByte("a map key") ;
            if (initial >>> 5 != 3) {
                throw new CborException(CborException.Kind.UNSUPPORTED, keyStart,
                        "map key is a " + MAJOR_NAMES[initial >>> 5] + " (DAG-CBOR map keys must be text strings)");
            }
            pos = keyStart;
            String key = ((CborValue.Text) readItem(depth + 1)).value();
            byte[] encodedKey = Arrays.copyOfRange(in, keyStart, pos);
            if (previousKey != null) {
                int cmp = compareEncodedKeys(previousKey, encodedKey);
                if (cmp == 0) {
                    throw new CborException(CborException.Kind.NOT_CANONICAL, keyStart,
                            "duplicate map key \"" + key + "\"");
                }
                if (cmp > 0) {
                    throw new CborException(CborException.Kind.NOT_CANONICAL, keyStart,
                            "map key \"" + key + "\" comes after \"" + previous
                                    + "\" (DAG-CBOR orders keys by length, then bytewise)");
                }
            }
            previousKey = encodedKey;
            previous = key;
            entries.put(key, readItem(depth + 1));
        }
        return new CborValue.Map(entries);
    }

    private CborValue readTag(int start, long tag) {
        if (tag != TAG_CID) {
            throw new CborException(CborException.Kind.UNSUPPORTED, start,
                    "tag " + Long.toUnsignedString(tag) + " is not allowed (DAG-CBOR allows only tag 42, CID)");
        }
        int contentStart = pos;
        int initial = readByte("the content of tag 42");
        if (initial >>> 5 != 2) {
            throw new CborException(CborException.Kind.MALFORMED, contentStart,
                    "tag 42 must wrap a byte string, found a " + MAJOR_NAMES[initial >>> 5]);
        }
        pos = contentStart;
        byte[] content = ((CborValue.Bytes) readItem(0)).value();
        if (content.length < 2 || content[0] != 0) {
            throw new CborException(CborException.Kind.MALFORMED, contentStart,
                    "tag 42 content must be 0x00 followed by a binary CID");
        }
        return new CborValue.Link(Arrays.copyOfRange(content, 1, content.length));
    }

    private void checkDepth(int start, int depth) {
        if (depth >= MAX_DEPTH) {
            throw new CborException(CborException.Kind.LIMIT_EXCEEDED, start,
                    "arrays and maps nest deeper than " + MAX_DEPTH + " levels");
        }
    }

    private static int compareEncodedKeys(byte[] a, byte[] b) {
        if (a.length != b.length) {
            return Integer.compare(a.length, b.length);
        }
        return Arrays.compareUnsigned(a, b);
    }

    private String utf8(int start, byte[] bytes) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return dec.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CborException(CborException.Kind.MALFORMED, start, "text string is not valid UTF-8");
        }
    }

    private int readByte(String what) {
        need(1, what);
        return in[pos++] & 0xff;
    }

    private void need(int n, String what) {
        if (in.length - pos < n) {
            throw new CborException(CborException.Kind.TRUNCATED, pos,
                    "input ends before " + what + " (" + n + " more byte(s) needed, " + (in.length - pos) + " left)");
        }
    }

    private long readBigEndian(int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = (v << 8) | (in[pos++] & 0xff);
        }
        return v;
    }

    private static BigInteger unsigned(long bits) {
        BigInteger v = BigInteger.valueOf(bits);
        return bits >= 0 ? v : v.add(BigInteger.ONE.shiftLeft(64));
    }
}
