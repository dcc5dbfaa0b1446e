package io.ipnslink.core.cbor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CborCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] hex(String s) {
        return HEX.parseHex(s.replace(" ", ""));
    }

    private static CborException rejects(String hexInput, CborException.Kind kind) {
        CborException e = assertThrows(CborException.class, () -> CborDecoder.decode(hex(hexInput)));
        assertEquals(kind, e.kind(), e.getMessage());
        return e;
    }

    /** Vectors from RFC 8949 Appendix A that are also canonical DAG-CBOR. */
    @ParameterizedTest
    @CsvSource({
        "0, 00", "1, 01", "10, 0a", "23, 17", "24, 1818", "25, 1819", "100, 1864", "255, 18ff",
        "256, 190100", "1000, 1903e8", "65535, 19ffff", "65536, 1a00010000", "1000000, 1a000f4240",
        "4294967295, 1affffffff", "4294967296, 1b0000000100000000",
        "1000000000000, 1b000000e8d4a51000", "9223372036854775807, 1b7fffffffffffffff",
        "18446744073709551615, 1bffffffffffffffff",
        "-1, 20", "-10, 29", "-24, 37", "-25, 3818", "-100, 3863", "-1000, 3903e7",
        "-18446744073709551616, 3bffffffffffffffff"
    })
    void integersUseShortestEncodingAndRoundTrip(String value, String encoding) {
        CborValue v = new CborValue.Int(new BigInteger(value));
        assertEquals(encoding, HEX.formatHex(CborEncoder.encode(v)));
        assertEquals(v, CborDecoder.decode(hex(encoding)));
    }

    @Test
    void integerOutsideCborRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CborValue.Int(CborValue.MAX_INT.add(BigInteger.ONE)));
        assertThrows(IllegalArgumentException.class, () -> new CborValue.Int(CborValue.MIN_INT.subtract(BigInteger.ONE)));
    }

    @Test
    void unsignedHelpersKeepAll64Bits() {
        CborValue.Int max = CborValue.Int.ofUnsigned(-1L);
        assertEquals(CborValue.MAX_INT, max.value());
        assertEquals(-1L, max.unsignedBits());
        assertThrows(ArithmeticException.class, max::longValueExact);
        assertThrows(ArithmeticException.class, () -> CborValue.Int.of(-5).unsignedBits());
    }

    @Test
    void stringsArraysSimpleValuesAndFloatsMatchRfcVectors() {
        assertEquals("40", enc(new CborValue.Bytes(new byte[0])));
        assertEquals("4401020304", enc(new CborValue.Bytes(new byte[] {1, 2, 3, 4})));
        assertEquals("60", enc(new CborValue.Text("")));
        assertEquals("6449455446", enc(new CborValue.Text("IETF")));
        assertEquals("62c3bc", enc(new CborValue.Text("\u00fc")));
        assertEquals("64f0908591", enc(new CborValue.Text("\ud800\udd51")));
        assertEquals("80", enc(CborValue.Array.of()));
        assertEquals("8301820203820405", enc(CborValue.Array.of(CborValue.integer(1),
                CborValue.Array.of(CborValue.integer(2), CborValue.integer(3)),
                CborValue.Array.of(CborValue.integer(4), CborValue.integer(5)))));
        assertEquals("f4", enc(CborValue.Bool.FALSE));
        assertEquals("f5", enc(CborValue.Bool.TRUE));
        assertEquals("f6", enc(CborValue.Null.INSTANCE));
        assertEquals("fb3ff199999999999a", enc(new CborValue.Float64(1.1)));
        assertEquals("fb0000000000000000", enc(new CborValue.Float64(0.0)));
        List<CborValue> many = new ArrayList<>();
        for (int i = 1; i <= 25; i++) {
            many.add(CborValue.integer(i));
        }
        assertEquals("98190102030405060708090a0b0c0d0e0f101112131415161718181819",
                enc(new CborValue.Array(many)));
    }

    @Test
    void cidLinkIsTag42AroundZeroPrefixedBytes() {
        byte[] cid = hex("017112200102");
        CborValue link = new CborValue.Link(cid);
        assertEquals("d82a4700017112200102", enc(link));
        assertEquals(link, CborDecoder.decode(hex("d82a4700017112200102")));
    }

    @Test
    void everyValueKindRoundTrips() {
        CborValue v = sample();
        byte[] once = CborEncoder.encode(v);
        CborValue back = CborDecoder.decode(once);
        assertEquals(v, back);
        assertArrayEquals(once, CborEncoder.encode(back));
    }

    @Test
    void mapKeysAreWrittenShorterFirstThenBytewise() {
        Map<String, CborValue> m = new LinkedHashMap<>();
        for (String k : List.of("Validity", "ValidityType", "Value", "TTL", "Sequence", "aa", "b", "a", "_x", "\u00e9")) {
            m.put(k, CborValue.integer(0));
        }
        CborValue.Map map = CborValue.Map.of(m);
        assertEquals(List.of("a", "b", "_x", "aa", "\u00e9", "TTL", "Value", "Sequence", "Validity", "ValidityType"),
                new ArrayList<>(map.entries().keySet()));
        byte[] encoded = CborEncoder.encode(map);
        assertEquals("aa" + "616100" + "616200" + "625f7800" + "62616100" + "62c3a900" + "6354544c00"
                + "6556616c756500" + "6853657175656e636500" + "6856616c696469747900"
                + "6c56616c69646974795479706500", HEX.formatHex(encoded));
        assertEquals(map, CborDecoder.decode(encoded));
    }

    @Test
    void ipnsDataMapEncodesLikeTheReferenceImplementations() {
        // Same fields as boxo/js-ipns write: TTL, Value, Sequence, Validity, ValidityType.
        CborValue.Map data = CborValue.Map.builder()
                .put("Value", "/ipfs/bafkqaaa".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .put("Validity", "2033-05-18T03:33:20Z".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .put("ValidityType", 0)
                .put("Sequence", 1)
                .put("TTL", 300_000_000_000L)
                .build();
        String h = HEX.formatHex(CborEncoder.encode(data));
        assertTrue(h.startsWith("a5" + "6354544c" + "1b00000045d964b800" + "6556616c7565" + "4e2f697066732f6261666b71616161"
                + "6853657175656e636501" + "6856616c6964697479" + "54"), h);
        assertTrue(h.endsWith("6c56616c69646974795479706500"), h);
    }

    @Test
    void decoderRejectsMapKeysOutOfOrder() {
        CborException e = rejects("a2 6162 01 6161 02", CborException.Kind.NOT_CANONICAL); // {"b":1,"a":2}
        assertTrue(e.getMessage().contains("\"a\" comes after \"b\""), e.getMessage());
        assertEquals(4, e.offset());
        rejects("a2 626161 01 6162 02", CborException.Kind.NOT_CANONICAL); // {"aa":1,"b":2}: longer first
    }

    @Test
    void decoderRejectsDuplicateKeys() {
        CborException e = rejects("a2 6161 01 6161 02", CborException.Kind.NOT_CANONICAL);
        assertTrue(e.getMessage().contains("duplicate map key \"a\""), e.getMessage());
    }

    @Test
    void decoderRejectsNonCanonicalKeyOrderInNestedMaps() {
        rejects("a1 6161 a2 6162 01 6161 02", CborException.Kind.NOT_CANONICAL);
        rejects("81 a2 6162 01 6161 02", CborException.Kind.NOT_CANONICAL);
    }

    @ParameterizedTest
    @CsvSource({
        "1817", "190017", "1900ff", "1a0000ffff", "1b00000000ffffffff", "1b0000000000000000",
        "3817", "3900ff", "3a0000ffff", "3b00000000ffffffff",
        "5800", "580100", "59000100", "7800", "780161", "9800", "990001 00", "b800", "b90001 6161 00",
        "d80100", "d9002a 4100"
    })
    void decoderRejectsNonShortestIntegersLengthsAndTags(String input) {
        CborException e = rejects(input, CborException.Kind.NOT_CANONICAL);
        assertTrue(e.getMessage().contains("non-shortest"), e.getMessage());
        assertEquals(0, e.offset());
    }

    @ParameterizedTest
    @CsvSource({"5f 41 00 ff", "7f 61 61 ff", "9f ff", "bf ff", "9f 01 ff"})
    void decoderRejectsIndefiniteLengths(String input) {
        CborException e = rejects(input, CborException.Kind.UNSUPPORTED);
        assertTrue(e.getMessage().contains("indefinite-length"), e.getMessage());
    }

    @Test
    void decoderRejectsNonTextMapKeys() {
        assertTrue(rejects("a1 01 02", CborException.Kind.UNSUPPORTED).getMessage().contains("map key is a unsigned integer"));
        rejects("a1 4161 02", CborException.Kind.UNSUPPORTED);
        rejects("a1 f6 02", CborException.Kind.UNSUPPORTED);
        rejects("a1 8161 02", CborException.Kind.UNSUPPORTED);
    }

    @Test
    void decoderRejectsUndefinedSimpleValuesAndShortFloats() {
        assertTrue(rejects("f7", CborException.Kind.UNSUPPORTED).getMessage().contains("undefined"));
        rejects("f0", CborException.Kind.UNSUPPORTED);
        rejects("e0", CborException.Kind.UNSUPPORTED);
        rejects("f820", CborException.Kind.UNSUPPORTED);
        rejects("f93c00", CborException.Kind.NOT_CANONICAL);
        rejects("fa3f800000", CborException.Kind.NOT_CANONICAL);
        rejects("fb7ff8000000000000", CborException.Kind.UNSUPPORTED); // NaN
        rejects("fb7ff0000000000000", CborException.Kind.UNSUPPORTED); // +Infinity
        rejects("ff", CborException.Kind.MALFORMED); // stray break
        rejects("fc", CborException.Kind.MALFORMED); // reserved
    }

    @Test
    void decoderRejectsReservedAdditionalInformation() {
        for (String h : List.of("1c", "3d", "5e", "7c", "9d", "be", "dc")) {
            rejects(h, CborException.Kind.MALFORMED);
        }
        rejects("1f", CborException.Kind.MALFORMED);
        rejects("3f", CborException.Kind.MALFORMED);
        rejects("df", CborException.Kind.MALFORMED);
    }

    @Test
    void decoderRejectsTagsOtherThan42AndBadLinks() {
        assertTrue(rejects("c1 1a514b67b0", CborException.Kind.UNSUPPORTED).getMessage().contains("tag 1 is not allowed"));
        rejects("d82a 6161", CborException.Kind.MALFORMED); // tag 42 around text
        rejects("d82a 4101", CborException.Kind.MALFORMED); // no 0x00 prefix
        rejects("d82a 4100", CborException.Kind.MALFORMED); // empty CID
    }

    @Test
    void decoderRejectsTrailingBytes() {
        CborException e = rejects("00 00", CborException.Kind.TRAILING_BYTES);
        assertEquals(1, e.offset());
        rejects("a0 ff", CborException.Kind.TRAILING_BYTES);
    }

    @Test
    void decoderRejectsInvalidUtf8() {
        rejects("62 c328", CborException.Kind.MALFORMED); // bad continuation
        rejects("62 c080", CborException.Kind.MALFORMED); // overlong NUL
        rejects("63 eda080", CborException.Kind.MALFORMED); // UTF-16 surrogate
        rejects("61 ff", CborException.Kind.MALFORMED);
        rejects("a1 61ff 00", CborException.Kind.MALFORMED); // in a map key
    }

    @Test
    void decoderRejectsNestingDeeperThanTheLimit() {
        int depth = CborDecoder.MAX_DEPTH;
        byte[] ok = new byte[depth + 1];
        java.util.Arrays.fill(ok, 0, depth, (byte) 0x81);
        ok[depth] = 0x00;
        assertEquals(depth, nesting(CborDecoder.decode(ok)));
        byte[] deep = new byte[depth + 2];
        java.util.Arrays.fill(deep, 0, depth + 1, (byte) 0x81);
        deep[depth + 1] = 0x00;
        CborException e = assertThrows(CborException.class, () -> CborDecoder.decode(deep));
        assertEquals(CborException.Kind.LIMIT_EXCEEDED, e.kind());
        assertEquals(depth, e.offset());
        CborValue tooDeep = CborValue.integer(0);
        for (int i = 0; i <= depth; i++) {
            tooDeep = CborValue.Array.of(tooDeep);
        }
        CborValue finalTooDeep = tooDeep;
        assertEquals(CborException.Kind.LIMIT_EXCEEDED,
                assertThrows(CborException.class, () -> CborEncoder.encode(finalTooDeep)).kind());
    }

    @Test
    void decoderRejectsInputAboveTheSizeLimit() {
        byte[] big = new byte[CborDecoder.MAX_INPUT_BYTES + 1];
        assertEquals(CborException.Kind.LIMIT_EXCEEDED,
                assertThrows(CborException.class, () -> CborDecoder.decode(big)).kind());
    }

    @Test
    void hugeDeclaredLengthsFailAsTruncatedWithoutAllocating() {
        rejects("5b 7fffffffffffffff", CborException.Kind.TRUNCATED);
        rejects("5b ffffffffffffffff", CborException.Kind.TRUNCATED);
        rejects("7a ffffffff 61", CborException.Kind.TRUNCATED);
        rejects("9b 0000000100000000 00", CborException.Kind.TRUNCATED);
        rejects("bb ffffffffffffffff 6161 00", CborException.Kind.TRUNCATED);
        rejects("83 01 02", CborException.Kind.TRUNCATED);
        rejects("a2 6161 00", CborException.Kind.TRUNCATED);
    }

    @Test
    void emptyInputIsTruncated() {
        assertEquals(CborException.Kind.TRUNCATED,
                assertThrows(CborException.class, () -> CborDecoder.decode(new byte[0])).kind());
    }

    @Test
    void everyProperPrefixIsTruncatedAndTheWholeDecodes() {
        byte[] whole = CborEncoder.encode(sample());
        for (int n = 0; n < whole.length; n++) {
            byte[] prefix = java.util.Arrays.copyOf(whole, n);
            int cut = n;
            CborException e = assertThrows(CborException.class, () -> CborDecoder.decode(prefix), "prefix " + cut);
            assertEquals(CborException.Kind.TRUNCATED, e.kind(), "prefix " + cut + ": " + e.getMessage());
        }
        assertEquals(sample(), CborDecoder.decode(whole));
    }

    @Test
    void randomGarbageEitherFailsCleanlyOrIsCanonical() {
        Random rnd = new Random(42);
        int decoded = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[1 + rnd.nextInt(24)];
            rnd.nextBytes(junk);
            if (i % 2 == 0) {
                junk[0] = (byte) (0x80 + rnd.nextInt(0x40)); // arrays and maps more often
            }
            try {
                CborValue v = CborDecoder.decode(junk);
                decoded++;
                assertArrayEquals(junk, CborEncoder.encode(v), "decoded input must re-encode identically");
            } catch (CborException expected) {
                assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
            }
        }
        assertTrue(decoded > 0, "some garbage should happen to be valid");
    }

    @Test
    void mutatedValidEncodingsEitherFailCleanlyOrAreCanonical() {
        byte[] whole = CborEncoder.encode(sample());
        Random rnd = new Random(7);
        for (int i = 0; i < 5_000; i++) {
            byte[] m = whole.clone();
            m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
            try {
                assertArrayEquals(m, CborEncoder.encode(CborDecoder.decode(m)));
            } catch (CborException expected) {
                // rejected with a message
            }
        }
    }

    @Test
    void textWithUnpairedSurrogateIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CborValue.Text("a\ud800"));
        assertThrows(IllegalArgumentException.class, () -> CborValue.Map.builder().put("\udc00", 1));
    }

    @Test
    void decodeMapRequiresAMap() {
        CborException e = assertThrows(CborException.class, () -> CborDecoder.decodeMap(hex("80")));
        assertTrue(e.getMessage().contains("expected a map, found array"), e.getMessage());
    }

    private static int nesting(CborValue v) {
        int n = 0;
        while (v instanceof CborValue.Array a) {
            n++;
            v = a.get(0);
        }
        return n;
    }

    private static String enc(CborValue v) {
        return HEX.formatHex(CborEncoder.encode(v));
    }

    private static CborValue sample() {
        return CborValue.Map.builder()
                .put("TTL", 300_000_000_000L)
                .put("Value", "/ipfs/bafkqaaa".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .put("Sequence", CborValue.Int.ofUnsigned(-1L))
                .put("negative", -1_000_000L)
                .put("text", "h\u00e9llo \ud83d\ude00")
                .put("_nested", CborValue.Map.builder()
                        .put("list", CborValue.Array.of(CborValue.Bool.TRUE, CborValue.Bool.FALSE,
                                CborValue.Null.INSTANCE, new CborValue.Float64(-2.5),
                                new CborValue.Link(hex("01551220aabb"))))
                        .put("empty", CborValue.Map.builder().build())
                        .put("big", new byte[300])
                        .build())
                .build();
    }
}
