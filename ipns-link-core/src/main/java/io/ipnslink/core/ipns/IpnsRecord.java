package io.ipnslink.core.ipns;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.core.cbor.CborDecoder;
import io.ipnslink.core.cbor.CborEncoder;
import io.ipnslink.core.cbor.CborException;
import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.KeyFormatException;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.core.ipns.IpnsRecordException.Reason;
import io.ipnslink.core.ipns.pb.IpnsProtos.IpnsEntry;
import io.ipnslink.core.multiformats.Multihash;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An IPNS record ({@code IpnsEntry} protobuf, ipfs/specs ipns-record.md), parsed and immutable.
 * Keeps the raw bytes. The fields come from the signed DAG-CBOR {@code data} map when it is
 * present (V2), else from the legacy protobuf fields (a V1-only record, which
 * {@link IpnsValidator} never accepts but {@link IpnsRecords#compare} can still rank).
 *
 * <p>{@link #parse(byte[])} checks syntax only (size, protobuf, strict DAG-CBOR, field types,
 * Validity format, TTL range); use {@link IpnsValidator#validate} to check a record against a
 * name. Create signed records with {@link #builder(PrivKey)}.
 */
public final class IpnsRecord {
    /** Largest serialized record accepted or created (the spec's 10 KiB). */
    public static final int MAX_RECORD_BYTES = 10 * 1024;
    /** Default lifetime of a created record: Validity = now + 48 h (boxo's default). */
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(48);
    /** Default TTL of a created record (the spec's suggested 5 minutes). */
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);
    /** What an empty Value means. */
    public static final String EMPTY_VALUE_PATH = "/ipfs/bafkqaaa";

    /** Keys of the CBOR data map defined by the spec. */
    public static final String KEY_VALUE = "Value";
    public static final String KEY_VALIDITY = "Validity";
    public static final String KEY_VALIDITY_TYPE = "ValidityType";
    public static final String KEY_SEQUENCE = "Sequence";
    public static final String KEY_TTL = "TTL";
    /** The keys the spec defines; every other data key is extra data. */
    public static final Set<String> RESERVED_KEYS =
            Set.of(KEY_VALUE, KEY_VALIDITY, KEY_VALIDITY_TYPE, KEY_SEQUENCE, KEY_TTL);
    /** Custom data keys must start with this. */
    public static final String EXTRA_KEY_PREFIX = "_";

    /** {@code ValidityType} EOL: Validity is the end of life. The only type there is. */
    public static final long VALIDITY_TYPE_EOL = 0;
    /** V2 signatures cover these ASCII bytes followed by the raw {@code data} bytes. */
    static final byte[] SIGNATURE_V2_PREFIX = "ipns-signature:".getBytes(StandardCharsets.US_ASCII);
    /** The V1 signature covers value || validity || this (Go prints the enum EOL by name). */
    static final byte[] SIGNATURE_V1_SUFFIX = "EOL".getBytes(StandardCharsets.US_ASCII);

    private final byte[] raw;
    private final IpnsEntry entry;
    private final CborValue.Map data;
    private final byte[] value;
    private final long sequence;
    private final String validityText;
    private final Instant validity;
    private final long ttlNanos;

    private IpnsRecord(byte[] raw, IpnsEntry entry, DataFields fields, Instant validity, long ttlNanos) {
        this.raw = raw.clone();
        this.entry = entry;
        this.data = fields.map;
        this.value = fields.value;
        this.sequence = fields.sequence;
        this.validityText = new String(fields.validity, StandardCharsets.US_ASCII);
        this.validity = validity;
        this.ttlNanos = ttlNanos;
    }

    /**
     * Parses a serialized record without checking signatures or expiry. The size limit is checked
     * first.
     *
     * @throws IpnsRecordException when the bytes are not a well-formed record
     */
    public static IpnsRecord parse(byte[] record) {
        checkSize(record);
        IpnsEntry entry = parseProtobuf(record);
        DataFields fields = entry.getData().isEmpty() ? legacyFields(entry) : decodeData(entry.getData().toByteArray());
        checkValidityType(fields);
        Instant eol = parseValidity(fields.validity);
        long ttl = checkTtl(fields.ttl);
        return new IpnsRecord(record, entry, fields, eol, ttl);
    }

    /** Builds the record from parts the validator has checked one by one. */
    static IpnsRecord fromValidated(byte[] raw, IpnsEntry entry, DataFields fields, Instant eol, long ttlNanos) {
        return new IpnsRecord(raw, entry, fields, eol, ttlNanos);
    }

    // ---- parsing steps, shared with IpnsValidator (which runs them in the spec's order) ----

    static void checkSize(byte[] record) {
        Objects.requireNonNull(record, "record");
        if (record.length > MAX_RECORD_BYTES) {
            throw new IpnsRecordException(Reason.RECORD_TOO_LARGE, "record is " + record.length
                    + " bytes, above the " + MAX_RECORD_BYTES + "-byte limit");
        }
    }

    static IpnsEntry parseProtobuf(byte[] record) {
        try {
            return IpnsEntry.parseFrom(record);
        } catch (InvalidProtocolBufferException e) {
            throw new IpnsRecordException(Reason.MALFORMED_PROTOBUF,
                    "record is not an IpnsEntry protobuf: " + e.getMessage(), e);
        }
    }

    /** The fields of the data map (or of the legacy protobuf), types checked, values not judged yet. */
    static final class DataFields {
        final CborValue.Map map;
        final byte[] value;
        final byte[] validity;
        final BigInteger validityType;
        final long sequence;
        final BigInteger ttl;

        DataFields(CborValue.Map map, byte[] value, byte[] validity, BigInteger validityType, long sequence, BigInteger ttl) {
            this.map = map;
            this.value = value;
            this.validity = validity;
            this.validityType = validityType;
            this.sequence = sequence;
            this.ttl = ttl;
        }
    }

    static DataFields decodeData(byte[] dataBytes) {
        CborValue.Map map;
        try {
            map = CborDecoder.decodeMap(dataBytes);
        } catch (CborException e) {
            throw new IpnsRecordException(Reason.INVALID_DATA, "record data is not valid DAG-CBOR: " + e.getMessage(), e);
        }
        byte[] value = requireBytes(map, KEY_VALUE);
        byte[] validity = requireBytes(map, KEY_VALIDITY);
        BigInteger validityType = requireInt(map, KEY_VALIDITY_TYPE).value();
        CborValue.Int seq = requireInt(map, KEY_SEQUENCE);
        if (seq.isNegative()) {
            throw new IpnsRecordException(Reason.INVALID_DATA, "record data field Sequence is negative (" + seq + ")");
        }
        BigInteger ttl = requireInt(map, KEY_TTL).value();
        return new DataFields(map, value, validity, validityType, seq.unsignedBits(), ttl);
    }

    private static DataFields legacyFields(IpnsEntry entry) {
        if (!entry.hasValidity()) {
            throw new IpnsRecordException(Reason.MISSING_DATA, "record has neither data nor a validity field");
        }
        BigInteger validityType = unknownValidityType(entry)
                .orElse(BigInteger.valueOf(entry.getValidityType().getNumber()));
        return new DataFields(CborValue.Map.builder().build(), entry.getValue().toByteArray(),
                entry.getValidity().toByteArray(), validityType, entry.getSequence(),
                unsigned(entry.getTtl()));
    }

    /**
     * A validityType number the enum does not know: protobuf-java keeps it among the unknown
     * fields (proto2 enums are closed) and reports the field as absent.
     */
    static Optional<BigInteger> unknownValidityType(IpnsEntry entry) {
        var unknown = entry.getUnknownFields();
        if (!unknown.hasField(IpnsEntry.VALIDITYTYPE_FIELD_NUMBER)) {
            return Optional.empty();
        }
        var varints = unknown.getField(IpnsEntry.VALIDITYTYPE_FIELD_NUMBER).getVarintList();
        if (varints.isEmpty()) {
            return Optional.of(BigInteger.valueOf(-1));
        }
        return Optional.of(unsigned(varints.get(varints.size() - 1)));
    }

    private static byte[] requireBytes(CborValue.Map map, String key) {
        CborValue v = map.get(key).orElseThrow(() -> missing(key));
        if (v instanceof CborValue.Bytes b) {
            return b.value();
        }
        throw new IpnsRecordException(Reason.INVALID_DATA, "record data field " + key
                + " is a " + CborDecoder.typeName(v) + ", expected a byte string");
    }

    private static CborValue.Int requireInt(CborValue.Map map, String key) {
        CborValue v = map.get(key).orElseThrow(() -> missing(key));
        if (v instanceof CborValue.Int i) {
            return i;
        }
        throw new IpnsRecordException(Reason.INVALID_DATA, "record data field " + key
                + " is a " + CborDecoder.typeName(v) + ", expected an integer");
    }

    private static IpnsRecordException missing(String key) {
        return new IpnsRecordException(Reason.INVALID_DATA, "record data has no " + key + " field");
    }

    static void checkValidityType(DataFields f) {
        if (f.validityType.signum() != 0) {
            throw new IpnsRecordException(Reason.UNSUPPORTED_VALIDITY_TYPE,
                    "record has ValidityType " + f.validityType + "; only 0 (EOL) exists");
        }
    }

    static Instant parseValidity(byte[] validity) {
        for (byte b : validity) {
            if (b < 0x20 || b > 0x7e) {
                throw new IpnsRecordException(Reason.INVALID_VALIDITY,
                        "record Validity is not printable ASCII: " + HexFormat.of().formatHex(validity, 0, Math.min(validity.length, 40)));
            }
        }
        try {
            return Rfc3339.parse(new String(validity, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new IpnsRecordException(Reason.INVALID_VALIDITY, "record Validity is not valid: " + e.getMessage(), e);
        }
    }

    static long checkTtl(BigInteger ttl) {
        if (ttl.signum() < 0) {
            throw new IpnsRecordException(Reason.INVALID_TTL, "record TTL is negative (" + ttl + " ns)");
        }
        if (ttl.bitLength() > 63) {
            throw new IpnsRecordException(Reason.INVALID_TTL, "record TTL " + ttl + " ns is out of range (above 2^63-1)");
        }
        return ttl.longValue();
    }

    private static BigInteger unsigned(long bits) {
        return CborValue.Int.ofUnsigned(bits).value();
    }

    // ---- accessors ----

    /** The serialized record, exactly as parsed or created. */
    public byte[] raw() {
        return raw.clone();
    }

    public int size() {
        return raw.length;
    }

    /** Value bytes (normally a UTF-8 content path). */
    public byte[] valueBytes() {
        return value.clone();
    }

    /** Value as text (UTF-8; invalid bytes show as U+FFFD). Empty means {@link #EMPTY_VALUE_PATH}. */
    public String value() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /** The content path: {@link #value()}, or {@link #EMPTY_VALUE_PATH} when Value is empty. */
    public String valuePath() {
        return value.length == 0 ? EMPTY_VALUE_PATH : value();
    }

    /** Sequence number: an unsigned 64-bit value (compare with {@link Long#compareUnsigned}). */
    public long sequence() {
        return sequence;
    }

    /** End of validity (EOL). */
    public Instant validity() {
        return validity;
    }

    /** The Validity text exactly as in the record. */
    public String validityText() {
        return validityText;
    }

    public boolean isExpired(Instant now) {
        return !validity.isAfter(now);
    }

    /** Cache hint in nanoseconds. */
    public long ttlNanos() {
        return ttlNanos;
    }

    public Duration ttl() {
        return Duration.ofNanos(ttlNanos);
    }

    /** The whole DAG-CBOR data map (empty for a record without data). */
    public CborValue.Map data() {
        return data;
    }

    /** The raw DAG-CBOR {@code data} bytes (empty for a record without data). */
    public byte[] dataBytes() {
        return entry.getData().toByteArray();
    }

    /** Data map entries other than the five the spec defines, in canonical key order, exactly as signed. */
    public SortedMap<String, CborValue> extraData() {
        TreeMap<String, CborValue> extra = new TreeMap<>(CborValue.KEY_ORDER);
        for (var e : data.entries().entrySet()) {
            if (!RESERVED_KEYS.contains(e.getKey())) {
                extra.put(e.getKey(), e.getValue());
            }
        }
        return Collections.unmodifiableSortedMap(extra);
    }

    public Optional<CborValue> extraData(String key) {
        return RESERVED_KEYS.contains(key) ? Optional.empty() : data.get(key);
    }

    /** The {@code pubKey} field (a libp2p PublicKey protobuf), when present and not empty. */
    public Optional<byte[]> embeddedPublicKeyBytes() {
        return entry.getPubKey().isEmpty() ? Optional.empty() : Optional.of(entry.getPubKey().toByteArray());
    }

    /** @throws KeyFormatException when the embedded key cannot be read */
    public Optional<PubKey> embeddedPublicKey() {
        return embeddedPublicKeyBytes().map(PubKey::unmarshal);
    }

    /** True when a (non-empty) legacy signatureV1 is present. It is never used for verification. */
    public boolean hasV1() {
        return !entry.getSignatureV1().isEmpty();
    }

    /** True when both signatureV2 and data are present and not empty. */
    public boolean hasV2() {
        return !entry.getSignatureV2().isEmpty() && !entry.getData().isEmpty();
    }

    public byte[] signatureV2() {
        return entry.getSignatureV2().toByteArray();
    }

    IpnsEntry entry() {
        return entry;
    }

    /** Equal when the raw bytes are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof IpnsRecord r && Arrays.equals(raw, r.raw);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(raw);
    }

    @Override
    public String toString() {
        return "IpnsRecord{value=" + valuePath() + ", sequence=" + Long.toUnsignedString(sequence)
                + ", validity=" + validityText + ", ttl=" + ttl() + ", v1=" + hasV1() + ", v2=" + hasV2()
                + ", extraKeys=" + extraData().keySet() + ", bytes=" + raw.length + "}";
    }

    // ---- creation ----

    /** A builder for a record signed with {@code key}. */
    public static Builder builder(PrivKey key) {
        return new Builder(key);
    }

    /**
     * Creates signed records. Defaults: sequence 0, validity now + {@link #DEFAULT_LIFETIME}, TTL
     * {@link #DEFAULT_TTL}, V1-compatible (legacy fields and signatureV1 written as well), public
     * key embedded only when the name cannot inline it (RSA). Value is required.
     */
    public static final class Builder {
        private final PrivKey key;
        private byte[] value;
        private long sequence;
        private Instant validity;
        private Duration lifetime = DEFAULT_LIFETIME;
        private long ttlNanos = DEFAULT_TTL.toNanos();
        private boolean v1Compatible = true;
        private boolean alwaysEmbedPublicKey;
        private Clock clock = Clock.systemUTC();
        private final TreeMap<String, CborValue> extra = new TreeMap<>(CborValue.KEY_ORDER);

        private Builder(PrivKey key) {
            this.key = Objects.requireNonNull(key, "key");
        }

        /** The content path, e.g. {@code /ipfs/bafy...} (stored as UTF-8 bytes). */
        public Builder value(String path) {
            Objects.requireNonNull(path, "value");
            this.value = path.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        public Builder value(byte[] bytes) {
            this.value = Objects.requireNonNull(bytes, "value").clone();
            return this;
        }

        /** Unsigned 64-bit sequence number (default 0). */
        public Builder sequence(long sequence) {
            this.sequence = sequence;
            return this;
        }

        /** An absolute end of validity (overrides {@link #lifetime}). */
        public Builder validity(Instant eol) {
            this.validity = Objects.requireNonNull(eol, "validity");
            return this;
        }

        /** Validity = now + lifetime (default {@link #DEFAULT_LIFETIME}). */
        public Builder lifetime(Duration lifetime) {
            if (lifetime == null || lifetime.isNegative() || lifetime.isZero()) {
                throw new IllegalArgumentException("lifetime must be positive, got " + lifetime);
            }
            this.lifetime = lifetime;
            this.validity = null;
            return this;
        }

        /** Cache hint (default {@link #DEFAULT_TTL}); not negative, at most 2^63-1 ns. */
        public Builder ttl(Duration ttl) {
            if (ttl == null || ttl.isNegative()) {
                throw new IllegalArgumentException("ttl must not be negative, got " + ttl);
            }
            try {
                this.ttlNanos = ttl.toNanos();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("ttl " + ttl + " does not fit in 64-bit nanoseconds", e);
            }
            return this;
        }

        /** Also write the legacy protobuf fields and signatureV1 (default true), as Kubo does. */
        public Builder v1Compatible(boolean v1Compatible) {
            this.v1Compatible = v1Compatible;
            return this;
        }

        /** Embed the public key even when the name inlines it (default: only when it does not). */
        public Builder alwaysEmbedPublicKey(boolean embed) {
            this.alwaysEmbedPublicKey = embed;
            return this;
        }

        /** Clock for "now" when the validity comes from a lifetime (default: system UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Adds a custom entry to the signed data map. The key must start with {@code _}; the five
         * keys the spec defines are refused. A second call with the same key replaces the value.
         */
        public Builder extraData(String key, CborValue value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (RESERVED_KEYS.contains(key)) {
                throw new IllegalArgumentException("data key \"" + key + "\" is reserved by the IPNS spec");
            }
            if (!key.startsWith(EXTRA_KEY_PREFIX) || key.length() < 2) {
                throw new IllegalArgumentException("custom data key \"" + key + "\" must start with '"
                        + EXTRA_KEY_PREFIX + "' followed by a name");
            }
            extra.put(key, value);
            return this;
        }

        /**
         * Signs and serializes the record.
         *
         * @throws IllegalStateException when no value was set
         * @throws IllegalArgumentException when the validity cannot be written as RFC 3339
         * @throws IpnsRecordException ({@code RECORD_TOO_LARGE}) when the result exceeds
         *     {@link #MAX_RECORD_BYTES}
         */
        public IpnsRecord build() {
            if (value == null) {
                throw new IllegalStateException("record value is not set");
            }
            Instant eol = validity != null ? validity : clock.instant().plus(lifetime);
            byte[] validityBytes = Rfc3339.format(eol).getBytes(StandardCharsets.US_ASCII);

            CborValue.Map.Builder map = CborValue.Map.builder();
            extra.forEach(map::put);
            map.put(KEY_VALUE, new CborValue.Bytes(value))
                    .put(KEY_VALIDITY, new CborValue.Bytes(validityBytes))
                    .put(KEY_VALIDITY_TYPE, CborValue.Int.of(VALIDITY_TYPE_EOL))
                    .put(KEY_SEQUENCE, CborValue.Int.ofUnsigned(sequence))
                    .put(KEY_TTL, CborValue.Int.of(ttlNanos));
            byte[] data = CborEncoder.encode(map.build());

            IpnsEntry.Builder pb = IpnsEntry.newBuilder();
            if (v1Compatible) {
                pb.setValue(ByteString.copyFrom(value))
                        .setValidityType(IpnsEntry.ValidityType.EOL)
                        .setValidity(ByteString.copyFrom(validityBytes))
                        .setSequence(sequence)
                        .setTtl(ttlNanos)
                        .setSignatureV1(ByteString.copyFrom(key.sign(concat(value, validityBytes, SIGNATURE_V1_SUFFIX))));
            }
            PubKey pub = key.publicKey();
            if (alwaysEmbedPublicKey || pub.peerId().multihash().code() != Multihash.IDENTITY) {
                pb.setPubKey(ByteString.copyFrom(pub.marshal()));
            }
            pb.setSignatureV2(ByteString.copyFrom(key.sign(concat(SIGNATURE_V2_PREFIX, data))))
                    .setData(ByteString.copyFrom(data));
            byte[] raw = pb.build().toByteArray();
            if (raw.length > MAX_RECORD_BYTES) {
                throw new IpnsRecordException(Reason.RECORD_TOO_LARGE, "record would be " + raw.length
                        + " bytes, above the " + MAX_RECORD_BYTES + "-byte limit (make the value or extra data smaller)");
            }
            return parse(raw);
        }
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }
}
