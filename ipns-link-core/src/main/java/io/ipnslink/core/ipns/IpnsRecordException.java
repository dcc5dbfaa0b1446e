package io.ipnslink.core.ipns;

/**
 * An IPNS record that cannot be parsed or does not validate. {@link #getMessage()} is for people;
 * {@link #reason()} is for code (e.g. to choose an HTTP status or a log level).
 */
public class IpnsRecordException extends IllegalArgumentException {
    /** Why a record was refused, in verification order. */
    public enum Reason {
        /** The serialized record is above {@link IpnsRecord#MAX_RECORD_BYTES}. */
        RECORD_TOO_LARGE,
        /** The bytes are not an {@code IpnsEntry} protobuf. */
        MALFORMED_PROTOBUF,
        /** No (or an empty) {@code signatureV2}; V1-only records are not accepted. */
        MISSING_SIGNATURE_V2,
        /** No (or an empty) {@code data} field. */
        MISSING_DATA,
        /** The {@code pubKey} field is not a libp2p public key this project can read. */
        INVALID_PUBLIC_KEY,
        /** The embedded public key belongs to another name. */
        PUBLIC_KEY_MISMATCH,
        /** The name is a hash of a key and the record does not carry the key. */
        PUBLIC_KEY_NOT_FOUND,
        /** {@code data} is not strict DAG-CBOR or lacks a required field of the right type. */
        INVALID_DATA,
        /** {@code signatureV2} does not verify with the public key. */
        SIGNATURE_V2_INVALID,
        /** A legacy protobuf field differs from the signed CBOR value. */
        PROTOBUF_MISMATCH,
        /** {@code ValidityType} is not 0 (EOL). */
        UNSUPPORTED_VALIDITY_TYPE,
        /** {@code Validity} is not an RFC 3339 timestamp. */
        INVALID_VALIDITY,
        /** {@code Validity} is not after the current time. */
        EXPIRED,
        /** {@code TTL} is negative or out of range. */
        INVALID_TTL
    }

    private final Reason reason;

    public IpnsRecordException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public IpnsRecordException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
