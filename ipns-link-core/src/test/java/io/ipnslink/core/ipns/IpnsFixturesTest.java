package io.ipnslink.core.ipns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.cbor.CborDecoder;
import io.ipnslink.core.cbor.CborEncoder;
import io.ipnslink.core.ipns.IpnsRecordException.Reason;
import io.ipnslink.core.ipns.Fixtures.Fixture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every Go-signed record in the test resources ({@link Fixtures}) gives the outcome its README table states. */
class IpnsFixturesTest {
    /** Well before every fixture's Validity (the earliest is in 2123). */
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    /** After every fixture's Validity (the latest is in 2126). */
    private static final Instant AFTER_ALL = Instant.parse("2200-01-01T00:00:00Z");
    private static final Pattern NAME = Pattern.compile("(k51[0-9a-z]+|12D3KooW[1-9A-HJ-NP-Za-km-z]+|Qm[1-9A-HJ-NP-Za-km-z]+)");

    private static final String SHARED_VALUE = "/ipfs/bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";

    /** One row of the README table: files whose name contains {@code marker}. */
    private record Row(String marker, Reason failure, String value, Consumer<IpnsRecord> extra) {}

    private static final List<Row> TABLE = List.of(
            new Row("k51qzi5uqu5dm4tm0wt8srkg9h9suud4wuiwjimndrkydqm81cqtlb5ak6p7ku_v1.", Reason.MISSING_SIGNATURE_V2, null, null),
            new Row("k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w_v1-v2.", null,
                    "/ipfs/bafkqaddwgevxmmraojswg33smq", r -> {
                        assertTrue(r.hasV1());
                        assertTrue(r.hasV2());
                    }),
            new Row("_v1-v2-broken-v1-value.", Reason.PROTOBUF_MISMATCH, null, null),
            new Row("_v1-v2-broken-signature-v2.", Reason.SIGNATURE_V2_INVALID, null, null),
            new Row("_v1-v2-broken-signature-v1.", null,
                    "/ipfs/bafkqahtwgevxmmrao5uxi2bamjzg623fnyqhg2lhnzqxi5lsmuqhmmi", r -> assertTrue(r.hasV1())),
            new Row("k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f_v2.", null,
                    "/ipfs/bafkqadtwgiww63tmpeqhezldn5zgi", r -> {
                        assertEquals(188, r.size());
                        assertFalse(r.hasV1());
                        assertTrue(r.hasV2());
                    }),
            new Row("gateway-cache_k51qzi5uqu5djokp3m1", null,
                    "/ipfs/bafybeib3ffl2teiqdncv3mkz4r23b5ctrwkzrrhctdbne6iboayxuxk5ui/root2", r -> {
                        assertTrue(r.validityText().matches(".*\\.\\d{9}Z"), r.validityText());
                        assertEquals(Instant.parse("2126-01-31T15:56:12.714899293Z"), r.validity());
                    }),
            new Row("gateway-cache_k51qzi5uqu5dlxdsdu5", null,
                    "/ipfs/bafybeib3ffl2teiqdncv3mkz4r23b5ctrwkzrrhctdbne6iboayxuxk5ui",
                    r -> assertEquals(3155760000000000000L, r.ttlNanos())),
            new Row("12D3KooWLQzUv2FH", null, SHARED_VALUE, r -> assertTrue(r.embeddedPublicKeyBytes().isEmpty())),
            new Row("QmVujd5Vb7moysJj", null, SHARED_VALUE,
                    r -> assertEquals(299, r.embeddedPublicKeyBytes().orElseThrow().length)),
            new Row("k51qzi5uqu5dgh7y9l90", null, "/ipfs/bafyaaeykceeaeeqlnbswy3dpo5xxe3debimaw", r -> {
                assertEquals(1, r.sequence());
                assertEquals(Duration.ofSeconds(60), r.ttl());
            }),
            new Row("k51qzi5uqu5dh71qgwan", null,
                    "/ipfs/bafkreidfdrlkeq4m4xnxuyx6iae76fdm4wgl5d4xzsb77ixhyqwumhz244",
                    r -> assertTrue(r.validityText().matches(".*:\\d\\d\\.\\d{5}Z"), r.validityText())),
            new Row("path_gateway_dag_k51qzi5uqu5dghjous", null,
                    "/ipfs/bafyreibs4utpgbn7uqegmd2goqz4bkyflre2ek2iwv743fhvylwi4zeeim", null),
            new Row("path_gateway_dag_k51qzi5uqu5dhjghbw", null,
                    "/ipfs/baguqeeram5ujjqrwheyaty3w5gdsmoz6vittchvhk723jjqxk7hakxkd47xq", null));

    private static Row rowFor(Fixture file) {
        String f = file.fileName();
        List<Row> rows = TABLE.stream().filter(r -> f.contains(r.marker)).toList();
        assertEquals(1, rows.size(), "fixture " + f + " must match exactly one table row, matched " + rows);
        return rows.get(0);
    }

    private static IpnsName nameOf(Fixture file) {
        Matcher m = NAME.matcher(file.fileName());
        assertTrue(m.find(), "no IPNS name in " + file.fileName());
        return IpnsName.parse(m.group(1));
    }

    @Test
    void allSixteenFixturesArePresentAndEachMatchesOneRow() {
        List<Fixture> files = Fixtures.ipnsRecords();
        assertEquals(16, files.size(), "fixture files: " + files);
        List<Row> used = new ArrayList<>();
        for (Fixture f : files) {
            used.add(rowFor(f));
        }
        assertTrue(used.containsAll(TABLE), "every README row has a file");
    }

    @TestFactory
    Stream<DynamicTest> eachFixtureValidatesAsTheReadmeStates() {
        return Fixtures.ipnsRecords().stream().map(file -> DynamicTest.dynamicTest(file.fileName(), () -> {
            Row row = rowFor(file);
            IpnsName name = nameOf(file);
            byte[] bytes = file.bytes();
            if (row.failure != null) {
                IpnsRecordException e = assertThrows(IpnsRecordException.class,
                        () -> IpnsValidator.validate(name, bytes, NOW));
                assertEquals(row.failure, e.reason(), e.getMessage());
                assertNotNull(e.getMessage());
            } else {
                IpnsRecord r = IpnsValidator.validate(name, bytes, NOW);
                assertEquals(row.value, r.value());
                assertArrayEquals(bytes, r.raw());
                if (row.extra != null) {
                    row.extra.accept(r);
                }
            }
        }));
    }

    @Test
    void v1OnlyRecordIsRefusedWithAClearMessage() {
        Fixture v1 = find("_v1.ipns-record");
        IpnsRecordException e = assertThrows(IpnsRecordException.class,
                () -> IpnsValidator.validate(nameOf(v1), v1.bytes(), NOW));
        assertEquals("record has no V2 signature (V1-only records are not accepted)", e.getMessage());
        IpnsRecord parsed = IpnsRecord.parse(v1.bytes());
        assertTrue(parsed.hasV1());
        assertFalse(parsed.hasV2());
    }

    @Test
    void brokenValueAndSignatureMessagesSayWhatIsWrong() {
        Fixture value = find("_v1-v2-broken-v1-value.");
        assertEquals("protobuf value differs from the signed CBOR Value", assertThrows(IpnsRecordException.class,
                () -> IpnsValidator.validate(nameOf(value), value.bytes(), NOW)).getMessage());
        Fixture sig = find("_v1-v2-broken-signature-v2.");
        assertEquals("signature V2 does not verify", assertThrows(IpnsRecordException.class,
                () -> IpnsValidator.validate(nameOf(sig), sig.bytes(), NOW)).getMessage());
    }

    @TestFactory
    Stream<DynamicTest> validFixturesExpireAfterTheirValidity() {
        return validFixtures().map(file -> DynamicTest.dynamicTest(file.fileName(), () -> {
            IpnsRecordException e = assertThrows(IpnsRecordException.class,
                    () -> IpnsValidator.validate(nameOf(file), file.bytes(), AFTER_ALL));
            assertEquals(Reason.EXPIRED, e.reason());
            assertTrue(e.getMessage().startsWith("record expired at 21"), e.getMessage());
        }));
    }

    @TestFactory
    Stream<DynamicTest> validFixturesDoNotValidateUnderAnotherName() {
        IpnsName ed25519 = IpnsName.parse("k51qzi5uqu5dk3v4rmjber23h16xnr23bsggmqqil9z2gduiis5se8dht36dam");
        IpnsName rsa = IpnsName.parse("QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3");
        return validFixtures().map(file -> DynamicTest.dynamicTest(file.fileName(), () -> {
            IpnsName own = nameOf(file);
            IpnsName other = own.equals(ed25519) ? rsa : ed25519;
            IpnsRecordException e = assertThrows(IpnsRecordException.class,
                    () -> IpnsValidator.validate(other, file.bytes(), NOW));
            Reason expected = IpnsRecord.parse(file.bytes()).embeddedPublicKeyBytes().isPresent()
                    ? Reason.PUBLIC_KEY_MISMATCH
                    : other.equals(rsa) ? Reason.PUBLIC_KEY_NOT_FOUND : Reason.SIGNATURE_V2_INVALID;
            assertEquals(expected, e.reason(), e.getMessage());
        }));
    }

    @TestFactory
    Stream<DynamicTest> goWrittenDataIsCanonicalForTheStrictDecoder() {
        return Fixtures.ipnsRecords().stream()
                .filter(f -> !f.fileName().endsWith("_v1.ipns-record"))
                .map(file -> DynamicTest.dynamicTest(file.fileName(), () -> {
                    byte[] data = IpnsRecord.parse(file.bytes()).dataBytes();
                    assertArrayEquals(data, CborEncoder.encode(CborDecoder.decode(data)));
                }));
    }

    @Test
    void rsaFixtureEmbedsAKeyWhosePeerIdIsTheName() {
        Fixture file = find("/QmVujd5Vb7moysJj");
        IpnsRecord r = IpnsRecord.parse(file.bytes());
        assertEquals(nameOf(file).peerId(), r.embeddedPublicKey().orElseThrow().peerId());
    }

    private static Stream<Fixture> validFixtures() {
        return Fixtures.ipnsRecords().stream().filter(f -> rowFor(f).failure == null);
    }

    private static Fixture find(String marker) {
        return Fixtures.ipnsRecords().stream()
                .filter(f -> ("/" + f.fileName()).contains(marker))
                .findFirst().orElseThrow(() -> new AssertionError("no fixture " + marker));
    }
}
