package io.ipnslink.core.cbor;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable value of the DAG-CBOR data model subset this project uses: integers, byte strings,
 * text strings, arrays, maps with text keys (kept in canonical DAG-CBOR key order), booleans, null,
 * finite 64-bit floats and CID links (tag 42). Encode with {@link CborEncoder}, decode with
 * {@link CborDecoder}.
 */
public sealed interface CborValue
        permits CborValue.Int, CborValue.Bytes, CborValue.Text, CborValue.Array, CborValue.Map,
                CborValue.Bool, CborValue.Null, CborValue.Float64, CborValue.Link {

    /** Smallest integer CBOR can carry: -2^64 (major type 1, argument 2^64-1). */
    BigInteger MIN_INT = BigInteger.ONE.shiftLeft(64).negate();
    /** Largest integer CBOR can carry: 2^64-1 (major type 0). */
    BigInteger MAX_INT = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /**
     * DAG-CBOR map key order: shorter UTF-8 encoding first, then bytewise (unsigned). This is the
     * order of the encoded keys that RFC 7049 section 3.9 canonical CBOR requires.
     */
    Comparator<String> KEY_ORDER = (a, b) -> {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] y = b.getBytes(StandardCharsets.UTF_8);
        if (x.length != y.length) {
            return Integer.compare(x.length, y.length);
        }
        return Arrays.compareUnsigned(x, y);
    };

    static Int integer(long value) {
        return Int.of(value);
    }

    static Bytes bytes(byte[] value) {
        return new Bytes(value);
    }

    static Text text(String value) {
        return new Text(value);
    }

    /** An integer in [-2^64, 2^64-1] (the range of CBOR major types 0 and 1). */
    record Int(BigInteger value) implements CborValue {
        public Int {
            if (value == null) {
                throw new IllegalArgumentException("integer value is null");
            }
            if (value.compareTo(MIN_INT) < 0 || value.compareTo(MAX_INT) > 0) {
                throw new IllegalArgumentException("integer " + value + " is outside the CBOR range [-2^64, 2^64-1]");
            }
        }

        public static Int of(long value) {
            return new Int(BigInteger.valueOf(value));
        }

        /** {@code bits} read as an unsigned 64-bit integer (0 .. 2^64-1). */
        public static Int ofUnsigned(long bits) {
            BigInteger v = BigInteger.valueOf(bits);
            return new Int(bits >= 0 ? v : v.add(BigInteger.ONE.shiftLeft(64)));
        }

        public boolean isNegative() {
            return value.signum() < 0;
        }

        /** True when the value fits in a signed long. */
        public boolean fitsLong() {
            return value.bitLength() <= 63;
        }

        /** @throws ArithmeticException when the value does not fit in a signed long */
        public long longValueExact() {
            return value.longValueExact();
        }

        /**
         * The value as unsigned 64-bit bits (compare with {@link Long#compareUnsigned}).
         *
         * @throws ArithmeticException when negative
         */
        public long unsignedBits() {
            if (value.signum() < 0) {
                throw new ArithmeticException("integer " + value + " is negative");
            }
            return value.longValue();
        }

        @Override
        public String toString() {
            return value.toString();
        }
    }

    /** A byte string (major type 2). The array is copied in and out. */
    record Bytes(byte[] value) implements CborValue {
        public Bytes {
            if (value == null) {
                throw new IllegalArgumentException("byte string is null");
            }
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        public int length() {
            return value.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && Arrays.equals(value, b.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "h'" + HexFormat.of().formatHex(value) + "'";
        }
    }

    /** A text string (major type 3); must be valid Unicode (no unpaired surrogates). */
    record Text(String value) implements CborValue {
        public Text {
            if (value == null) {
                throw new IllegalArgumentException("text string is null");
            }
            CborEncoder.checkWellFormed(value);
        }

        @Override
        public String toString() {
            return '"' + value + '"';
        }
    }

    /** An array (major type 4) of definite length. */
    record Array(List<CborValue> items) implements CborValue {
        public Array {
            items = List.copyOf(items);
        }

        public static Array of(CborValue... items) {
            return new Array(List.of(items));
        }

        public int size() {
            return items.size();
        }

        public CborValue get(int index) {
            return items.get(index);
        }
    }

    /**
     * A map (major type 5) with text keys, iterated in canonical DAG-CBOR key order
     * ({@link #KEY_ORDER}).
     */
    record Map(SortedMap<String, CborValue> entries) implements CborValue {
        public Map {
            TreeMap<String, CborValue> copy = new TreeMap<>(KEY_ORDER);
            for (java.util.Map.Entry<String, CborValue> e : entries.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("map keys and values must not be null");
                }
                CborEncoder.checkWellFormed(e.getKey());
                copy.put(e.getKey(), e.getValue());
            }
            entries = Collections.unmodifiableSortedMap(copy);
        }

        /** A map with the given entries (any iteration order; stored in canonical order). */
        public static Map of(java.util.Map<String, ? extends CborValue> entries) {
            TreeMap<String, CborValue> sorted = new TreeMap<>(KEY_ORDER);
            sorted.putAll(entries);
            return new Map(sorted);
        }

        public static Builder builder() {
            return new Builder();
        }

        public Optional<CborValue> get(String key) {
            return Optional.ofNullable(entries.get(key));
        }

        public boolean containsKey(String key) {
            return entries.containsKey(key);
        }

        public int size() {
            return entries.size();
        }

        /** Collects entries; a later {@code put} of the same key replaces the earlier one. */
        public static final class Builder {
            private final TreeMap<String, CborValue> entries = new TreeMap<>(KEY_ORDER);

            private Builder() {}

            public Builder put(String key, CborValue value) {
                if (key == null || value == null) {
                    throw new IllegalArgumentException("map keys and values must not be null");
                }
                CborEncoder.checkWellFormed(key);
                entries.put(key, value);
                return this;
            }

            public Builder put(String key, long value) {
                return put(key, Int.of(value));
            }

            public Builder put(String key, String text) {
                return put(key, new Text(text));
            }

            public Builder put(String key, byte[] bytes) {
                return put(key, new Bytes(bytes));
            }

            public Map build() {
                return new Map(entries);
            }
        }
    }

    /** {@code true} or {@code false} (simple values 21 and 20). */
    record Bool(boolean value) implements CborValue {
        public static final Bool TRUE = new Bool(true);
        public static final Bool FALSE = new Bool(false);

        public static Bool of(boolean value) {
            return value ? TRUE : FALSE;
        }

        @Override
        public String toString() {
            return Boolean.toString(value);
        }
    }

    /** {@code null} (simple value 22). */
    enum Null implements CborValue {
        INSTANCE;

        @Override
        public String toString() {
            return "null";
        }
    }

    /**
     * A finite float, always encoded in 64 bits as DAG-CBOR requires (NaN and infinities are not
     * allowed in DAG-CBOR).
     */
    record Float64(double value) implements CborValue {
        public Float64 {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("DAG-CBOR does not allow NaN or infinite floats: " + value);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Float64 f
                    && Double.doubleToRawLongBits(value) == Double.doubleToRawLongBits(f.value);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(Double.doubleToRawLongBits(value));
        }
    }

    /**
     * A CID link: tag 42 around a byte string holding 0x00 then the binary CID. Holds the binary
     * CID (without the 0x00 prefix); decode it with {@code Cid.decode(link.cidBytes())}.
     */
    record Link(byte[] cidBytes) implements CborValue {
        public Link {
            if (cidBytes == null || cidBytes.length == 0) {
                throw new IllegalArgumentException("CID link is empty");
            }
            cidBytes = cidBytes.clone();
        }

        @Override
        public byte[] cidBytes() {
            return cidBytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Link l && Arrays.equals(cidBytes, l.cidBytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(cidBytes);
        }

        @Override
        public String toString() {
            return "42(h'00" + HexFormat.of().formatHex(cidBytes) + "')";
        }
    }
}
