package io.ipnslink.core.ipns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsRecordException.Reason;
import io.ipnslink.testing.IpnsTool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Records made here pass js {@code ipns}'s validator, and records made by js pass ours. */
@Tag("interop")
class IpnsJsInteropTest {
    private static final String VALUE = "/ipfs/bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";
    private static final PrivKey KEY = IpnsRecordTest.KEY;
    private static final IpnsName NAME = IpnsName.of(KEY.peerId());

    private static IpnsTool js;

    @BeforeAll
    static void start() {
        js = IpnsTool.start();
    }

    @AfterAll
    static void stop() {
        if (js != null) {
            js.close();
        }
    }

    private static IpnsRecord.Builder builder() {
        // js checks expiry against its own clock: validity from the real clock.
        return IpnsRecord.builder(KEY).value(VALUE).lifetime(Duration.ofHours(1));
    }

    private static void assertJsAccepts(IpnsRecord r, boolean v1) {
        for (String name : new String[] {NAME.toString(), NAME.toBase58(), "/ipns/" + NAME}) {
            IpnsTool.Verified v = js.verify(name, r.raw());
            assertTrue(v.valid(), "js refused the record for " + name + ": " + v.error());
            assertEquals(r.value(), v.value());
            assertEquals(r.sequence(), v.sequence());
            assertEquals(r.ttlNanos(), v.ttlNs());
            assertEquals(r.validityText(), v.validity());
            assertEquals(v1, v.v1());
        }
    }

    @Test
    void v1AndV2RecordCreatedHereIsValidForJs() {
        assertJsAccepts(builder().sequence(42).ttl(Duration.ofSeconds(90)).build(), true);
    }

    @Test
    void v2OnlyRecordCreatedHereIsValidForJs() {
        assertJsAccepts(builder().sequence(1).v1Compatible(false).build(), false);
    }

    @Test
    void recordWithNestedExtraDataIsValidForJs() {
        CborValue manifest = CborValue.Map.builder()
                .put("v", 1)
                .put("peer", NAME.toBase58())
                .put("addrs", CborValue.Array.of(
                        CborValue.bytes(new byte[] {4, 127, 0, 0, 1, 6, 0x0f, (byte) 0xa1}),
                        CborValue.bytes(new byte[] {4, 10, 0, 0, 7, 6, 0x10, 0x01})))
                .put("host", "localhost:3000")
                .put("onfail", CborValue.Null.INSTANCE)
                .put("static", CborValue.Map.builder().put("/assets/", "bafkqaaa").put("/", "bafkqaab").build())
                .build();
        IpnsRecord r = builder().sequence(7).extraData("_ipnslink", manifest).build();
        assertJsAccepts(r, true);
        assertJsAccepts(builder().sequence(8).v1Compatible(false).extraData("_ipnslink", manifest).build(), false);
    }

    @Test
    void recordWithEmbeddedPublicKeyIsValidForJs() {
        IpnsRecord r = builder().alwaysEmbedPublicKey(true).build();
        assertTrue(r.embeddedPublicKeyBytes().isPresent());
        assertJsAccepts(r, true);
    }

    /**
     * RSA and secp256k1. Not ECDSA: js @libp2p/crypto 5 writes and expects raw r||s (P1363) ECDSA
     * signatures where the libp2p spec and Go use ASN.1 DER, so ECDSA records do not cross over.
     */
    @Test
    void recordsSignedWithRsaAndSecp256k1KeysAreValidForJs() {
        for (PrivKey key : IpnsRecordTest.otherKeyTypes()) {
            if (key.type() == io.ipnslink.core.crypto.KeyType.ECDSA) {
                continue;
            }
            IpnsRecord r = IpnsRecord.builder(key).value(VALUE).lifetime(Duration.ofHours(1)).sequence(2).build();
            IpnsName name = IpnsName.of(key.peerId());
            IpnsTool.Verified v = js.verify(name.toString(), r.raw());
            assertTrue(v.valid(), key.type() + ": js refused the record: " + v.error());
            assertEquals(VALUE, v.value());
        }
    }

    @Test
    void rsaRecordCreatedByJsIsValidHere() {
        IpnsTool.Created c = js.create(IpnsTool.CreateRequest.of(IpnsRecordTest.RSA_KEY.marshal(), VALUE, 9));
        IpnsName name = IpnsName.parse(c.name());
        assertEquals(IpnsName.of(IpnsRecordTest.RSA_KEY.peerId()), name);
        IpnsRecord r = IpnsValidator.validate(name, c.record(), Instant.now());
        assertEquals(9, r.sequence());
        assertTrue(r.embeddedPublicKeyBytes().isPresent());
    }

    @Test
    void recordsCreatedByJsAreValidHere() {
        for (boolean v1 : new boolean[] {true, false}) {
            IpnsTool.Created c = js.create(IpnsTool.CreateRequest.of(KEY.marshal(), VALUE, 17)
                    .withTtl(Duration.ofSeconds(45)).withLifetime(Duration.ofHours(2)).withV1Compatible(v1));
            assertEquals(NAME.toString(), c.name(), "js and Java compute the same name");
            IpnsRecord r = IpnsValidator.validate(IpnsName.parse(c.name()), c.record(), Instant.now());
            assertEquals(VALUE, r.value());
            assertEquals(17, r.sequence());
            assertEquals(Duration.ofSeconds(45), r.ttl());
            assertEquals(v1, r.hasV1());
            assertTrue(r.hasV2());
            assertTrue(r.validity().isAfter(Instant.now().plus(Duration.ofMinutes(110))));
        }
    }

    @Test
    void recordsCreatedByJsWithAFreshKeyAndExtraDataAreValidHere() {
        PrivKey fresh = PrivKey.generateEd25519();
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("_ipnslink", "v1");
        extra.put("_n", 5L);
        extra.put("_b", new byte[] {1, 2, 3});
        IpnsTool.Created c = js.create(IpnsTool.CreateRequest.of(fresh.marshal(), "/ipns/" + NAME, -1L)
                .withExtraData(extra));
        IpnsName name = IpnsName.parse(c.name());
        assertEquals(IpnsName.of(fresh.peerId()), name);
        IpnsRecord r = IpnsValidator.validate(name, c.record(), Instant.now());
        assertEquals("/ipns/" + NAME, r.value());
        assertEquals(-1L, r.sequence(), "sequence 2^64-1 survives");
        assertEquals(new CborValue.Text("v1"), r.extraData().get("_ipnslink"));
        assertEquals(CborValue.integer(5), r.extraData().get("_n"));
        assertArrayEquals(new byte[] {1, 2, 3}, ((CborValue.Bytes) r.extraData().get("_b")).value());
    }

    @Test
    void bothSidesRefuseATamperedRecord() {
        IpnsRecord r = builder().sequence(3).v1Compatible(false).build();
        byte[] data = r.dataBytes();
        int at = new String(data, StandardCharsets.ISO_8859_1).indexOf("bafkrei") + 8;
        data[at] ^= 1;
        byte[] tampered = IpnsRecordTest.edit(r, e -> e.setData(com.google.protobuf.ByteString.copyFrom(data)));
        IpnsTool.Verified v = js.verify(NAME.toString(), tampered);
        assertFalse(v.valid());
        assertNotNull(v.error());
        assertEquals(Reason.SIGNATURE_V2_INVALID,
                assertThrows(IpnsRecordException.class, () -> IpnsValidator.validate(NAME, tampered, Instant.now())).reason());
        IpnsTool.Verified otherName = js.verify(IpnsName.of(PrivKey.generateEd25519().peerId()).toString(), r.raw());
        assertFalse(otherName.valid());
    }
}
