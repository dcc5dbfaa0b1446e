package io.ipnslink.core.ipns;

import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.core.ipns.IpnsRecord.DataFields;
import io.ipnslink.core.ipns.IpnsRecordException.Reason;
import io.ipnslink.core.ipns.pb.IpnsProtos.IpnsEntry;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * Verifies an IPNS record against its name (ipfs/specs ipns-record.md "Record Verification"),
 * failing on the first problem, in this order:
 * <ol>
 *   <li>serialized size at most {@link IpnsRecord#MAX_RECORD_BYTES} (before parsing);</li>
 *   <li>a well-formed {@code IpnsEntry} protobuf with non-empty {@code signatureV2} and {@code data};</li>
 *   <li>the public key: the {@code pubKey} field, whose peer id must equal the name, or else the
 *       key inlined in the name's identity multihash;</li>
 *   <li>{@code data} is strict DAG-CBOR with Value, Validity (bytes), ValidityType, Sequence, TTL (integers);</li>
 *   <li>signatureV2 verifies over {@code "ipns-signature:" || data} (signatureV1 is never used);</li>
 *   <li>each legacy protobuf field that is present (value, validity, validityType, sequence, ttl)
 *       equals its signed CBOR counterpart;</li>
 *   <li>ValidityType is 0 (EOL), Validity is RFC 3339 and after {@code now};</li>
 *   <li>TTL is not negative (and fits in 63 bits).</li>
 * </ol>
 */
public final class IpnsValidator {
    private IpnsValidator() {}

    /**
     * @return the parsed record when it is valid for {@code name} at {@code now}
     * @throws IpnsRecordException with the first problem found
     */
    public static IpnsRecord validate(IpnsName name, byte[] record, Instant now) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(now, "now");
        IpnsRecord.checkSize(record);
        IpnsEntry entry = IpnsRecord.parseProtobuf(record);
        if (entry.getSignatureV2().isEmpty()) {
            throw new IpnsRecordException(Reason.MISSING_SIGNATURE_V2, entry.getSignatureV1().isEmpty()
                    ? "record has no V2 signature"
                    : "record has no V2 signature (V1-only records are not accepted)");
        }
        if (entry.getData().isEmpty()) {
            throw new IpnsRecordException(Reason.MISSING_DATA, "record has no data (the signed DAG-CBOR document)");
        }
        PubKey key = publicKey(name, entry);
        byte[] data = entry.getData().toByteArray();
        DataFields fields = IpnsRecord.decodeData(data);
        if (!verifies(key, IpnsRecord.concat(IpnsRecord.SIGNATURE_V2_PREFIX, data), entry.getSignatureV2().toByteArray())) {
            throw new IpnsRecordException(Reason.SIGNATURE_V2_INVALID, "signature V2 does not verify");
        }
        checkProtobufMatchesData(entry, fields);
        IpnsRecord.checkValidityType(fields);
        Instant eol = IpnsRecord.parseValidity(fields.validity);
        if (!eol.isAfter(now)) {
            throw new IpnsRecordException(Reason.EXPIRED, "record expired at "
                    + new String(fields.validity, StandardCharsets.US_ASCII) + " (now is " + now + ")");
        }
        long ttl = IpnsRecord.checkTtl(fields.ttl);
        return IpnsRecord.fromValidated(record, entry, fields, eol, ttl);
    }

    /** Same as {@link #validate} with {@code Instant.now()}. */
    public static IpnsRecord validate(IpnsName name, byte[] record) {
        return validate(name, record, Instant.now());
    }

    private static PubKey publicKey(IpnsName name, IpnsEntry entry) {
        if (!entry.getPubKey().isEmpty()) {
            PubKey key;
            try {
                key = PubKey.unmarshal(entry.getPubKey().toByteArray());
            } catch (RuntimeException e) {
                throw new IpnsRecordException(Reason.INVALID_PUBLIC_KEY,
                        "public key in the record cannot be read: " + e.getMessage(), e);
            }
            if (!key.peerId().equals(name.peerId())) {
                throw new IpnsRecordException(Reason.PUBLIC_KEY_MISMATCH,
                        "public key in the record does not match the name: it is the key of "
                                + IpnsName.of(key.peerId()) + ", the name is " + name);
            }
            return key;
        }
        Optional<PubKey> inlined;
        try {
            inlined = name.peerId().extractPublicKey();
        } catch (RuntimeException e) {
            throw new IpnsRecordException(Reason.INVALID_PUBLIC_KEY,
                    "the public key inlined in the name cannot be read: " + e.getMessage(), e);
        }
        return inlined.orElseThrow(() -> new IpnsRecordException(Reason.PUBLIC_KEY_NOT_FOUND,
                "record has no public key and the name " + name
                        + " is a hash of one (the record must embed the key)"));
    }

    private static boolean verifies(PubKey key, byte[] message, byte[] signature) {
        try {
            return key.verify(message, signature);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void checkProtobufMatchesData(IpnsEntry entry, DataFields f) {
        if (entry.hasValue() && !Arrays.equals(entry.getValue().toByteArray(), f.value)) {
            throw mismatch("value", "Value");
        }
        if (entry.hasValidity() && !Arrays.equals(entry.getValidity().toByteArray(), f.validity)) {
            throw mismatch("validity", "Validity");
        }
        Optional<BigInteger> unknownType = IpnsRecord.unknownValidityType(entry);
        if (unknownType.isPresent()
                || entry.hasValidityType() && !BigInteger.valueOf(entry.getValidityType().getNumber()).equals(f.validityType)) {
            throw mismatch("validityType", "ValidityType");
        }
        if (entry.hasSequence() && entry.getSequence() != f.sequence) {
            throw mismatch("sequence", "Sequence");
        }
        if (entry.hasTtl() && !CborValue.Int.ofUnsigned(entry.getTtl()).value().equals(f.ttl)) {
            throw mismatch("ttl", "TTL");
        }
    }

    private static IpnsRecordException mismatch(String pbField, String cborKey) {
        return new IpnsRecordException(Reason.PROTOBUF_MISMATCH,
                "protobuf " + pbField + " differs from the signed CBOR " + cborKey);
    }
}
