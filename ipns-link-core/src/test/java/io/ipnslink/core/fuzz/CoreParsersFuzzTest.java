package io.ipnslink.core.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ipnslink.core.cbor.CborDecoder;
import io.ipnslink.core.cbor.CborEncoder;
import io.ipnslink.core.cbor.CborException;
import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.KeyFormatException;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.core.ipns.Fixtures;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsNameException;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.core.ipns.IpnsRecords;
import io.ipnslink.core.ipns.IpnsValidator;
import io.ipnslink.core.ipns.Rfc3339;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestException;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.core.multiformats.MultiformatException;
import io.ipnslink.core.multiformats.Varint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz targets for every parser of core a stranger reaches: IPNS records (protobuf + DAG-CBOR
 * data), the CBOR decoder, the manifest, multiaddrs, the text forms of multibase / CID / peer id /
 * IPNS name / RFC 3339, varints and key protobufs.
 *
 * <p>Each target asserts the parser's contract: a result, or the parser's own documented exception
 * (any other exception fails the run); a hang fails through Jazzer's timeout. Where a parser
 * round-trips the round trip is asserted. {@code ./mvnw verify} runs them in regression mode over
 * the seeds in {@code CoreParsersFuzzTestInputs/<method>/} (and the IPNS fixtures for the record
 * target); {@code bench/fuzz.sh} fuzzes them.
 */
class CoreParsersFuzzTest {
    /** Before the expiry of every fixture, so the signed ones validate. */
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    /** The name of the V2-only fixture: a fixed name the validator checks every input against. */
    static final IpnsName FIXED_NAME = IpnsName.parse("k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f");

    /** The Go-signed IPNS fixtures, read from the class path, as extra seeds of {@link #ipnsRecord}. */
    static Stream<Arguments> ipnsFixtures() {
        return Fixtures.ipnsRecords().stream().map(f -> Arguments.of((Object) f.bytes()));
    }

    @MethodSource("ipnsFixtures")
    @FuzzTest(maxDuration = "10m")
    void ipnsRecord(byte[] data) {
        IpnsRecord parsed = null;
        try {
            parsed = IpnsRecord.parse(data);
        } catch (IpnsRecordException expected) {
            // the documented failure
        }
        if (data.length > IpnsRecord.MAX_RECORD_BYTES) {
            assertEquals(null, parsed, "a record above the size limit must be refused");
        }
        if (parsed != null) {
            assertArrayEquals(data, parsed.raw());
            assertEquals(0, IpnsRecords.compare(parsed, parsed));
            parsed.value();
            parsed.valuePath();
            parsed.validity();
            parsed.ttl();
            parsed.extraData();
            try {
                Optional<Manifest> m = Manifest.fromRecord(parsed);
                m.ifPresent(CoreParsersFuzzTest::manifestRoundTrip);
            } catch (ManifestException expected) {
                // a record anyone can publish may carry a broken manifest
            }
        }
        validate(FIXED_NAME, data);
        if (parsed != null) {
            Optional<PubKey> key = Optional.empty();
            try {
                key = parsed.embeddedPublicKey();
            } catch (KeyFormatException expected) {
                // the documented failure
            }
            key.ifPresent(k -> validate(IpnsName.of(k.peerId()), data));
        }
    }

    private static void validate(IpnsName name, byte[] data) {
        try {
            IpnsRecord valid = IpnsValidator.validate(name, data, NOW);
            assertTrue(valid.validity().isAfter(NOW));
            assertArrayEquals(data, valid.raw());
        } catch (IpnsRecordException expected) {
            // the documented failure
        }
    }

    @FuzzTest(maxDuration = "10m")
    void cbor(byte[] data) {
        CborValue v;
        try {
            v = CborDecoder.decode(data);
        } catch (CborException expected) {
            if (data.length > CborDecoder.MAX_INPUT_BYTES) {
                assertEquals(CborException.Kind.LIMIT_EXCEEDED, expected.kind());
            }
            return;
        }
        // The decoder accepts canonical DAG-CBOR only, so encoding what it read gives the input back.
        assertArrayEquals(data, CborEncoder.encode(v), "encode(decode(x)) == x");
    }

    @FuzzTest(maxDuration = "10m")
    void manifest(byte[] data) {
        Manifest m;
        try {
            m = Manifest.decode(data);
        } catch (ManifestException expected) {
            return;
        }
        assertTrue(data.length <= Manifest.MAX_ENCODED_BYTES);
        manifestRoundTrip(m);
    }

    private static void manifestRoundTrip(Manifest m) {
        byte[] encoded = m.encode();
        assertEquals(m, Manifest.decode(encoded), "decode(encode(m)) == m");
        assertArrayEquals(encoded, Manifest.decode(encoded).encode());
    }

    @FuzzTest(maxDuration = "10m")
    void multiaddrBytes(byte[] data) {
        Multiaddr a;
        try {
            a = Multiaddr.decode(data);
        } catch (MultiformatException expected) {
            return;
        }
        assertTrue(data.length <= Multiaddr.MAX_BYTES);
        assertArrayEquals(data, a.bytes(), "decode keeps the bytes");
        String text = a.toString();
        Multiaddr back;
        try {
            back = Multiaddr.parse(text);
        } catch (MultiformatException e) {
            throw new AssertionError("text of a decoded multiaddr does not parse: " + text, e);
        }
        assertArrayEquals(data, back.bytes(), () -> "bytes -> text -> bytes: " + text);
    }

    @FuzzTest(maxDuration = "10m")
    void multiaddrText(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Multiaddr a;
        try {
            a = Multiaddr.parse(text);
        } catch (MultiformatException expected) {
            return;
        }
        Multiaddr decoded = Multiaddr.decode(a.bytes());
        assertEquals(a, decoded, "text -> bytes -> multiaddr");
        assertEquals(a, Multiaddr.parse(decoded.toString()), "canonical text parses to the same multiaddr");
        assertEquals(decoded.toString(), Multiaddr.parse(decoded.toString()).toString());
    }

    /** Multibase, CID, peer id, IPNS name and RFC 3339 text: the same stranger-supplied string to each. */
    @FuzzTest(maxDuration = "10m")
    void text(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        try {
            byte[] decoded = Multibase.decode(text);
            Multibase.Base base = Multibase.baseOf(text);
            assertArrayEquals(decoded, Multibase.decode(Multibase.encode(base, decoded)), "multibase round trip");
        } catch (MultiformatException expected) {
            // the documented failure
        }
        try {
            Cid cid = Cid.parse(text);
            assertEquals(cid, Cid.parse(cid.toString()), "CID text round trip");
            assertEquals(cid, Cid.decode(cid.bytes()), "CID bytes round trip");
        } catch (MultiformatException expected) {
            // the documented failure
        }
        try {
            PeerId id = PeerId.parse(text);
            assertEquals(id, PeerId.parse(id.toString()));
            assertEquals(id, PeerId.parse(id.toBase36()));
            assertEquals(id, PeerId.fromBytes(id.bytes()));
        } catch (KeyFormatException expected) {
            // the documented failure
        }
        try {
            IpnsName name = IpnsName.parse(text);
            assertEquals(name.peerId(), IpnsName.parse(name.toString()).peerId());
            assertEquals(name.peerId(), IpnsName.fromRoutingKey(name.routingKey()).peerId());
        } catch (IpnsNameException expected) {
            // the documented failure
        }
        try {
            Instant t = Rfc3339.parse(text);
            assertEquals(t, Rfc3339.parse(Rfc3339.format(t)));
        } catch (IllegalArgumentException e) {
            if (e.getClass() != IllegalArgumentException.class) {
                throw e; // e.g. a NumberFormatException leaking out of the parser
            }
        }
    }

    @FuzzTest(maxDuration = "10m")
    void varint(byte[] data) {
        ByteBuffer buf = ByteBuffer.wrap(data);
        while (buf.hasRemaining()) {
            int start = buf.position();
            long complete;
            try {
                complete = Varint.readIfComplete(buf.duplicate());
            } catch (MultiformatException e) {
                complete = -2;
            }
            long v;
            try {
                v = Varint.read(buf);
            } catch (MultiformatException expected) {
                assertEquals(start, buf.position(), "position unchanged after a failure");
                assertTrue(complete == Varint.NEED_MORE || complete == -2);
                return;
            }
            assertTrue(v >= 0);
            assertEquals(v, complete);
            byte[] consumed = Arrays.copyOfRange(data, start, buf.position());
            assertArrayEquals(consumed, Varint.encode(v), "varints are minimal: encode(read(x)) == x");
            assertEquals(consumed.length, Varint.size(v));
        }
    }

    @FuzzTest(maxDuration = "10m")
    void keyProtobuf(byte[] data) {
        try {
            PubKey k = PubKey.unmarshal(data);
            PubKey again = PubKey.unmarshal(k.marshal());
            assertEquals(k, again, "unmarshal(marshal(k)) == k");
            assertEquals(k.peerId(), PeerId.fromBytes(k.peerId().bytes()));
            k.verify(data, new byte[64]); // false, never an exception
        } catch (KeyFormatException expected) {
            // the documented failure
        }
        try {
            PrivKey k = PrivKey.unmarshal(data);
            assertEquals(k, PrivKey.unmarshal(k.marshal()), "unmarshal(marshal(k)) == k");
        } catch (KeyFormatException expected) {
            // the documented failure
        }
    }
}
