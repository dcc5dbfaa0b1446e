package io.ipnslink.core.ipns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.ipnslink.core.cbor.CborEncoder;
import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsRecordException.Reason;
import io.ipnslink.core.ipns.pb.IpnsProtos.IpnsEntry;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class IpnsRecordTest {
    /** Ed25519 PrivateKey protobuf from libp2p/specs peer-ids.md test vectors. */
    static final PrivKey KEY = PrivKey.unmarshal(HexFormat.of().parseHex(
            "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"
                    + "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"));
    /** The all-zero Ed25519 seed (js-libp2p test vector): another key. */
    static final PrivKey OTHER_KEY = PrivKey.unmarshal(HexFormat.of().parseHex(
            "08011240" + "00".repeat(32) + "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"));
    static final IpnsName NAME = IpnsName.of(KEY.peerId());
    /** libp2p/specs peer-ids.md key vectors (test resource of the crypto package). */
    static final java.util.Properties KEY_VECTORS = keyVectors();
    static final PrivKey RSA_KEY = vectorKey("rsa");
    static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final String VALUE = "/ipfs/bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";

    static IpnsRecord.Builder builder() {
        return IpnsRecord.builder(KEY).value(VALUE).clock(CLOCK);
    }

    @Test
    void createdRecordHasTheDefaultsAndVerifies() {
        IpnsRecord r = builder().sequence(7).build();
        assertEquals(VALUE, r.value());
        assertEquals(7, r.sequence());
        assertEquals(NOW.plus(IpnsRecord.DEFAULT_LIFETIME), r.validity());
        assertEquals("2030-01-03T00:00:00Z", r.validityText());
        assertEquals(Duration.ofMinutes(5), r.ttl());
        assertEquals(300_000_000_000L, r.ttlNanos());
        assertTrue(r.hasV1());
        assertTrue(r.hasV2());
        assertTrue(r.embeddedPublicKeyBytes().isEmpty(), "an Ed25519 key is inlined in the name");
        assertTrue(r.extraData().isEmpty());
        IpnsRecord v = IpnsValidator.validate(NAME, r.raw(), NOW);
        assertEquals(r, v);
        assertEquals(r.value(), v.value());
    }

    @Test
    void v1CompatibleRecordCarriesLegacyFieldsAndAV1SignatureOverValueValidityEol() {
        IpnsRecord r = builder().sequence(3).ttl(Duration.ofSeconds(60)).build();
        IpnsEntry e = r.entry();
        assertEquals(VALUE, e.getValue().toStringUtf8());
        assertEquals(r.validityText(), e.getValidity().toStringUtf8());
        assertTrue(e.hasValidityType());
        assertEquals(3, e.getSequence());
        assertEquals(60_000_000_000L, e.getTtl());
        byte[] v1 = (VALUE + r.validityText() + "EOL").getBytes(StandardCharsets.US_ASCII);
        assertTrue(KEY.publicKey().verify(v1, e.getSignatureV1().toByteArray()));
        byte[] v2 = IpnsRecord.concat("ipns-signature:".getBytes(StandardCharsets.US_ASCII), r.dataBytes());
        assertTrue(KEY.publicKey().verify(v2, r.signatureV2()));
    }

    @Test
    void v2OnlyRecordHasOnlySignatureAndData() {
        IpnsRecord r = builder().v1Compatible(false).build();
        IpnsEntry e = r.entry();
        assertFalse(r.hasV1());
        assertFalse(e.hasValue() || e.hasValidity() || e.hasValidityType() || e.hasSequence() || e.hasTtl() || e.hasPubKey());
        assertEquals(VALUE, IpnsValidator.validate(NAME, r.raw(), NOW).value());
    }

    @Test
    void dataMapHasTheFiveFieldsInCanonicalOrder() {
        IpnsRecord r = builder().sequence(1).build();
        assertEquals(List.of("TTL", "Value", "Sequence", "Validity", "ValidityType"),
                List.copyOf(r.data().entries().keySet()));
        assertArrayEquals(r.dataBytes(), CborEncoder.encode(r.data()));
    }

    @Test
    void publicKeyCanBeEmbeddedForInlinedKeysToo() {
        IpnsRecord r = builder().alwaysEmbedPublicKey(true).build();
        assertArrayEquals(KEY.publicKey().marshal(), r.embeddedPublicKeyBytes().orElseThrow());
        IpnsValidator.validate(NAME, r.raw(), NOW);
    }

    @Test
    void everyKeyTypeSignsRecordsThatVerifyAndBigKeysAreEmbedded() {
        for (PrivKey key : otherKeyTypes()) {
            IpnsName name = IpnsName.of(key.peerId());
            IpnsRecord r = IpnsRecord.builder(key).value(VALUE).clock(CLOCK).build();
            boolean inlined = key.peerId().multihash().code() == io.ipnslink.core.multiformats.Multihash.IDENTITY;
            assertEquals(!inlined, r.embeddedPublicKeyBytes().isPresent(), key.type() + " embedded key");
            assertEquals(VALUE, IpnsValidator.validate(name, r.raw(), NOW).value(), key.type().toString());
            assertEquals(VALUE, IpnsValidator.validate(IpnsName.parse(name.toBase58()), r.raw(), NOW).value());
            if (!inlined) {
                byte[] stripped = edit(r, IpnsEntry.Builder::clearPubKey);
                assertEquals(Reason.PUBLIC_KEY_NOT_FOUND, reasonOf(name, stripped, NOW), key.type().toString());
            }
        }
    }

    /** Spec vectors: RSA-4096 and ECDSA P-256 (embedded in records), secp256k1 (inlined in the name). */
    static List<PrivKey> otherKeyTypes() {
        return List.of(RSA_KEY, vectorKey("ecdsa"), vectorKey("secp256k1"));
    }

    static PrivKey vectorKey(String type) {
        String hex = KEY_VECTORS.getProperty(type + ".private");
        assertNotNull(hex, "no " + type + ".private in /keys/peer-id-vectors.properties");
        return PrivKey.unmarshal(HexFormat.of().parseHex(hex));
    }

    private static java.util.Properties keyVectors() {
        java.util.Properties p = new java.util.Properties();
        try (java.io.InputStream in = IpnsRecordTest.class.getResourceAsStream("/keys/peer-id-vectors.properties")) {
            assertNotNull(in, "test resource /keys/peer-id-vectors.properties is missing");
            p.load(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }

    @Test
    void explicitValidityIsWrittenAsGoRfc3339Nano() {
        IpnsRecord r = builder().validity(Instant.parse("2031-02-03T04:05:06.123400Z")).build();
        assertEquals("2031-02-03T04:05:06.1234Z", r.validityText());
        assertEquals(Instant.parse("2031-02-03T04:05:06.123400Z"), r.validity());
        assertEquals("2030-01-01T01:00:00Z", builder().lifetime(Duration.ofHours(1)).build().validityText());
    }

    @Test
    void sequenceIsUnsigned64Bit() {
        IpnsRecord r = builder().sequence(-1L).build();
        assertEquals(-1L, r.sequence());
        assertEquals(new BigInteger("18446744073709551615"),
                ((CborValue.Int) r.data().get("Sequence").orElseThrow()).value());
        assertEquals(-1L, IpnsValidator.validate(NAME, r.raw(), NOW).sequence());
    }

    @Test
    void emptyValueMeansTheEmptyDirectory() {
        IpnsRecord r = builder().value("").build();
        assertEquals("", r.value());
        assertEquals("/ipfs/bafkqaaa", r.valuePath());
    }

    @Test
    void expiredRecordFails() {
        IpnsRecord r = builder().lifetime(Duration.ofMinutes(1)).build();
        IpnsValidator.validate(NAME, r.raw(), NOW.plusSeconds(59));
        IpnsRecordException atEol = assertThrows(IpnsRecordException.class,
                () -> IpnsValidator.validate(NAME, r.raw(), NOW.plusSeconds(60)));
        assertEquals(Reason.EXPIRED, atEol.reason());
        assertTrue(atEol.getMessage().startsWith("record expired at 2030-01-01T00:01:00Z"), atEol.getMessage());
        assertEquals(Reason.EXPIRED, reasonOf(r.raw(), NOW.plusSeconds(3600)));
    }

    @Test
    void extraDataKeysSurviveCreateParseAndReverify() {
        CborValue manifest = CborValue.Map.builder()
                .put("v", 1)
                .put("peer", "12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d")
                .put("addrs", CborValue.Array.of(CborValue.bytes(new byte[] {4, 127, 0, 0, 1, 6, 0x0f, (byte) 0xa1})))
                .build();
        IpnsRecord r = builder().extraData("_ipnslink", manifest).extraData("_z", CborValue.Bool.TRUE).build();
        IpnsRecord parsed = IpnsRecord.parse(r.raw());
        assertEquals(List.of("_z", "_ipnslink"), List.copyOf(parsed.extraData().keySet()));
        assertEquals(manifest, parsed.extraData("_ipnslink").orElseThrow());
        assertTrue(parsed.extraData("Value").isEmpty(), "reserved keys are not extra data");
        IpnsRecord verified = IpnsValidator.validate(NAME, parsed.raw(), NOW);
        assertEquals(manifest, verified.extraData().get("_ipnslink"));
        assertArrayEquals(r.dataBytes(), CborEncoder.encode(verified.data()));
    }

    @Test
    void builderRefusesBadExtraKeysAndMissingValue() {
        IpnsRecord.Builder b = builder();
        for (String reserved : List.of("Value", "Validity", "ValidityType", "Sequence", "TTL")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.extraData(reserved, CborValue.Null.INSTANCE));
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.extraData("manifest", CborValue.Null.INSTANCE))
                .getMessage().contains("must start with '_'"));
        assertThrows(IllegalArgumentException.class, () -> b.extraData("_", CborValue.Null.INSTANCE));
        assertThrows(IllegalArgumentException.class, () -> b.ttl(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.lifetime(Duration.ZERO));
        assertThrows(IllegalStateException.class, () -> IpnsRecord.builder(KEY).build());
    }

    @Test
    void sizeLimitIsTenKibibytesExactly() {
        int base = builder().v1Compatible(false).extraData("_pad", CborValue.bytes(new byte[300])).build().size();
        // Between 300 and ~10000 padding bytes every length header keeps its size: one step suffices.
        byte[] fits = new byte[300 + IpnsRecord.MAX_RECORD_BYTES - base];
        IpnsRecord r = builder().v1Compatible(false).extraData("_pad", CborValue.bytes(fits)).build();
        assertEquals(IpnsRecord.MAX_RECORD_BYTES, r.size());
        IpnsValidator.validate(NAME, r.raw(), NOW);
        IpnsRecordException e = assertThrows(IpnsRecordException.class, () -> builder().v1Compatible(false)
                .extraData("_pad", CborValue.bytes(new byte[fits.length + 1])).build());
        assertEquals(Reason.RECORD_TOO_LARGE, e.reason());
    }

    @Test
    void sizeIsCheckedBeforeAnythingElse() {
        byte[] junk = new byte[IpnsRecord.MAX_RECORD_BYTES + 760];
        IpnsRecordException e = assertThrows(IpnsRecordException.class, () -> IpnsValidator.validate(NAME, junk, NOW));
        assertEquals(Reason.RECORD_TOO_LARGE, e.reason());
        assertEquals("record is 11000 bytes, above the 10240-byte limit", e.getMessage());
        assertEquals(Reason.RECORD_TOO_LARGE,
                assertThrows(IpnsRecordException.class, () -> IpnsRecord.parse(junk)).reason());
    }

    @Test
    void notAProtobufIsMalformed() {
        assertEquals(Reason.MALFORMED_PROTOBUF, reasonOf(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, NOW));
        assertEquals(Reason.MALFORMED_PROTOBUF, reasonOf(new byte[] {0x4a, 0x10, 0x01}, NOW)); // truncated data field
    }

    // ---- tampering: every signed field, every legacy field, the signature and the key ----

    @Test
    void tamperingWithAnySignedDataFieldBreaksSignatureV2() {
        IpnsRecord r = builder().extraData("_x", CborValue.integer(1)).build();
        List<UnaryOperator<CborValue.Map.Builder>> edits = List.of(
                m -> m.put("Value", "/ipfs/bafkqaaa".getBytes(StandardCharsets.US_ASCII)),
                m -> m.put("Validity", "2099-01-01T00:00:00Z".getBytes(StandardCharsets.US_ASCII)),
                m -> m.put("Sequence", 99),
                m -> m.put("TTL", 1),
                m -> m.put("_x", 2),
                m -> m.put("_new", 0));
        for (UnaryOperator<CborValue.Map.Builder> edit : edits) {
            CborValue.Map.Builder m = CborValue.Map.builder();
            r.data().entries().forEach(m::put);
            byte[] data = CborEncoder.encode(edit.apply(m).build());
            byte[] tampered = r.entry().toBuilder().setData(ByteString.copyFrom(data)).build().toByteArray();
            assertEquals(Reason.SIGNATURE_V2_INVALID, reasonOf(tampered, NOW));
        }
    }

    @Test
    void flippedSignatureOrSignatureByAnotherKeyFails() {
        IpnsRecord r = builder().build();
        byte[] sig = r.signatureV2();
        sig[10] ^= 1;
        assertEquals(Reason.SIGNATURE_V2_INVALID, reasonOf(edit(r, e -> e.setSignatureV2(ByteString.copyFrom(sig))), NOW));
        IpnsRecord foreign = IpnsRecord.builder(OTHER_KEY).value(VALUE).clock(CLOCK).build();
        assertEquals(Reason.SIGNATURE_V2_INVALID, reasonOf(foreign.raw(), NOW));
        assertEquals(Reason.SIGNATURE_V2_INVALID,
                reasonOf(edit(r, e -> e.setSignatureV2(ByteString.copyFrom(new byte[13]))), NOW));
    }

    @Test
    void tamperingWithAnyLegacyFieldIsAProtobufMismatch() {
        IpnsRecord r = builder().sequence(5).build();
        assertMismatch(r, e -> e.setValue(ByteString.copyFromUtf8("/ipfs/bafkqaaa")), "value", "Value");
        assertMismatch(r, e -> e.setValidity(ByteString.copyFromUtf8("2099-01-01T00:00:00Z")), "validity", "Validity");
        assertMismatch(r, e -> e.setSequence(6), "sequence", "Sequence");
        assertMismatch(r, e -> e.setTtl(1), "ttl", "TTL");
        assertMismatch(r, e -> e.clearValidityType().setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(3, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()),
                "validityType", "ValidityType");
    }

    @Test
    void absentLegacyFieldsAreNotCompared() {
        IpnsRecord r = builder().sequence(5).build();
        byte[] onlyValue = edit(r, e -> e.clearValidity().clearSequence().clearTtl().clearValidityType().clearSignatureV1());
        assertEquals(VALUE, IpnsValidator.validate(NAME, onlyValue, NOW).value());
    }

    @Test
    void signatureV1IsNeverUsed() {
        IpnsRecord r = builder().build();
        byte[] brokenV1 = edit(r, e -> e.setSignatureV1(ByteString.copyFrom(new byte[64])));
        assertEquals(VALUE, IpnsValidator.validate(NAME, brokenV1, NOW).value());
        byte[] v1Only = edit(r, e -> e.clearSignatureV2().clearData());
        IpnsRecordException ex = assertThrows(IpnsRecordException.class, () -> IpnsValidator.validate(NAME, v1Only, NOW));
        assertEquals(Reason.MISSING_SIGNATURE_V2, ex.reason());
        assertEquals("record has no V2 signature (V1-only records are not accepted)", ex.getMessage());
    }

    @Test
    void missingOrEmptySignatureV2OrDataIsRefused() {
        IpnsRecord r = builder().v1Compatible(false).build();
        assertEquals(Reason.MISSING_SIGNATURE_V2, reasonOf(edit(r, IpnsEntry.Builder::clearSignatureV2), NOW));
        assertEquals(Reason.MISSING_SIGNATURE_V2, reasonOf(edit(r, e -> e.setSignatureV2(ByteString.EMPTY)), NOW));
        assertEquals(Reason.MISSING_DATA, reasonOf(edit(r, IpnsEntry.Builder::clearData), NOW));
        assertEquals(Reason.MISSING_DATA, reasonOf(edit(r, e -> e.setData(ByteString.EMPTY)), NOW));
        assertEquals(Reason.MISSING_SIGNATURE_V2, reasonOf(new byte[0], NOW));
    }

    @Test
    void embeddedKeyMustBeTheNamesKey() {
        IpnsRecord r = builder().build();
        byte[] other = edit(r, e -> e.setPubKey(ByteString.copyFrom(OTHER_KEY.publicKey().marshal())));
        IpnsRecordException ex = assertThrows(IpnsRecordException.class, () -> IpnsValidator.validate(NAME, other, NOW));
        assertEquals(Reason.PUBLIC_KEY_MISMATCH, ex.reason());
        assertTrue(ex.getMessage().startsWith("public key in the record does not match the name"), ex.getMessage());
        assertEquals(Reason.INVALID_PUBLIC_KEY,
                reasonOf(edit(r, e -> e.setPubKey(ByteString.copyFrom(new byte[] {8, 9, 18, 1, 0}))), NOW));
    }

    // ---- signed but malformed data: strict decoding and field checks, in the spec's order ----

    @Test
    void signedNonCanonicalDataIsRefusedAsInvalidData() {
        IpnsRecord r = builder().v1Compatible(false).build();
        byte[] data = r.dataBytes();
        // Same map with an indefinite-length header (0xbf ... 0xff) instead of 0xa5.
        byte[] indefinite = new byte[data.length + 1];
        indefinite[0] = (byte) 0xbf;
        System.arraycopy(data, 1, indefinite, 1, data.length - 1);
        indefinite[data.length] = (byte) 0xff;
        IpnsRecordException e = assertThrows(IpnsRecordException.class,
                () -> IpnsValidator.validate(NAME, resign(r, indefinite), NOW));
        assertEquals(Reason.INVALID_DATA, e.reason());
        assertTrue(e.getMessage().contains("indefinite-length"), e.getMessage());
    }

    @Test
    void signedDataWithWrongFieldsIsRefusedWithTheRightReason() {
        IpnsRecord r = builder().v1Compatible(false).build();
        assertEquals(Reason.INVALID_DATA, reasonOf(resign(r, data(r, m -> m.put("Value", VALUE))), NOW));
        assertEquals(Reason.INVALID_DATA, reasonOf(resign(r, data(r, m -> m.put("Sequence", -1))), NOW));
        assertEquals(Reason.INVALID_DATA, reasonOf(resign(r, CborEncoder.encode(CborValue.Map.builder()
                .put("Value", VALUE.getBytes(StandardCharsets.UTF_8)).build())), NOW));
        assertEquals(Reason.INVALID_DATA, reasonOf(resign(r, CborEncoder.encode(CborValue.Array.of())), NOW));
        assertEquals(Reason.UNSUPPORTED_VALIDITY_TYPE, reasonOf(resign(r, data(r, m -> m.put("ValidityType", 1))), NOW));
        assertEquals(Reason.INVALID_VALIDITY, reasonOf(resign(r, data(r,
                m -> m.put("Validity", "tomorrow".getBytes(StandardCharsets.US_ASCII)))), NOW));
        assertEquals(Reason.INVALID_TTL, reasonOf(resign(r, data(r, m -> m.put("TTL", -1))), NOW));
        assertEquals(Reason.INVALID_TTL, reasonOf(resign(r, data(r, m -> m.put("TTL", CborValue.Int.ofUnsigned(-1L)))), NOW));
    }

    @Test
    void checksRunInSpecOrder() {
        IpnsRecord r = builder().build();
        byte[] badSig = r.signatureV2();
        badSig[0] ^= 1;
        // pubKey mismatch before CBOR decoding
        assertEquals(Reason.PUBLIC_KEY_MISMATCH, reasonOf(edit(r, e -> e
                .setPubKey(ByteString.copyFrom(OTHER_KEY.publicKey().marshal()))
                .setData(ByteString.copyFrom(new byte[] {(byte) 0xff}))), NOW));
        // CBOR decoding before the signature
        assertEquals(Reason.INVALID_DATA, reasonOf(edit(r, e -> e.setData(ByteString.copyFrom(new byte[] {(byte) 0xff}))), NOW));
        // signature before protobuf/CBOR consistency and expiry
        assertEquals(Reason.SIGNATURE_V2_INVALID, reasonOf(edit(r, e -> e
                .setSignatureV2(ByteString.copyFrom(badSig)).setValue(ByteString.copyFromUtf8("x"))), NOW.plus(Duration.ofDays(9))));
        // consistency before expiry
        assertEquals(Reason.PROTOBUF_MISMATCH, reasonOf(edit(r, e -> e.setValue(ByteString.copyFromUtf8("x"))),
                NOW.plus(Duration.ofDays(9))));
        // expiry before TTL
        IpnsRecord badTtl = builder().v1Compatible(false).build();
        assertEquals(Reason.EXPIRED, reasonOf(resign(badTtl, data(badTtl, m -> m.put("TTL", -1))), NOW.plus(Duration.ofDays(9))));
    }

    @Test
    void parseAloneDoesNotCheckSignaturesOrExpiry() {
        IpnsRecord r = builder().build();
        byte[] sig = r.signatureV2();
        sig[0] ^= 1;
        IpnsRecord parsed = IpnsRecord.parse(edit(r, e -> e.setSignatureV2(ByteString.copyFrom(sig))));
        assertEquals(VALUE, parsed.value());
        assertTrue(parsed.isExpired(NOW.plus(Duration.ofDays(3))));
        assertFalse(parsed.isExpired(NOW));
    }

    @Test
    void everyProperPrefixOfARecordIsRefusedAndTheWholeIsValid() {
        for (IpnsRecord r : List.of(builder().extraData("_x", CborValue.text("y")).build(),
                builder().v1Compatible(false).build())) {
            byte[] whole = r.raw();
            for (int n = 0; n < whole.length; n++) {
                byte[] prefix = java.util.Arrays.copyOf(whole, n);
                assertThrows(IpnsRecordException.class, () -> IpnsValidator.validate(NAME, prefix, NOW), "prefix " + n);
            }
            assertEquals(VALUE, IpnsValidator.validate(NAME, whole, NOW).value());
        }
    }

    @Test
    void garbageAndMutatedRecordsFailWithIpnsRecordExceptionOnly() {
        java.util.Random rnd = new java.util.Random(3);
        // V2-only: every byte is protobuf structure, signatureV2 or signed data (signatureV1 is never checked).
        byte[] valid = builder().v1Compatible(false).build().raw();
        for (int i = 0; i < 3000; i++) {
            byte[] junk;
            if (i % 2 == 0) {
                junk = new byte[rnd.nextInt(400)];
                rnd.nextBytes(junk);
            } else {
                junk = valid.clone();
                junk[rnd.nextInt(junk.length)] ^= (byte) (1 + rnd.nextInt(255));
            }
            byte[] input = junk;
            assertThrows(IpnsRecordException.class, () -> IpnsValidator.validate(NAME, input, NOW), "input " + i);
            try {
                IpnsRecord.parse(input);
            } catch (IpnsRecordException expected) {
                assertNotNull(expected.reason());
            }
        }
    }

    // ---- helpers ----

    static Reason reasonOf(byte[] record, Instant now) {
        return reasonOf(NAME, record, now);
    }

    static Reason reasonOf(IpnsName name, byte[] record, Instant now) {
        return assertThrows(IpnsRecordException.class, () -> IpnsValidator.validate(name, record, now)).reason();
    }

    static byte[] edit(IpnsRecord r, UnaryOperator<IpnsEntry.Builder> change) {
        return change.apply(r.entry().toBuilder()).build().toByteArray();
    }

    /** {@code r}'s data map with one change, encoded canonically. */
    static byte[] data(IpnsRecord r, UnaryOperator<CborValue.Map.Builder> change) {
        CborValue.Map.Builder m = CborValue.Map.builder();
        r.data().entries().forEach(m::put);
        return CborEncoder.encode(change.apply(m).build());
    }

    /** {@code r} with new data, correctly signed by {@link #KEY}. */
    static byte[] resign(IpnsRecord r, byte[] data) {
        byte[] sig = KEY.sign(IpnsRecord.concat("ipns-signature:".getBytes(StandardCharsets.US_ASCII), data));
        return edit(r, e -> e.setData(ByteString.copyFrom(data)).setSignatureV2(ByteString.copyFrom(sig)));
    }

    private static void assertMismatch(IpnsRecord r, UnaryOperator<IpnsEntry.Builder> change, String pb, String cbor) {
        IpnsRecordException e = assertThrows(IpnsRecordException.class,
                () -> IpnsValidator.validate(NAME, edit(r, change), NOW));
        assertEquals(Reason.PROTOBUF_MISMATCH, e.reason());
        assertEquals("protobuf " + pb + " differs from the signed CBOR " + cbor, e.getMessage());
    }
}
