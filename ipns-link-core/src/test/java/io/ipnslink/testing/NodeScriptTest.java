package io.ipnslink.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Proves the JS interop infrastructure works from Java: npm deps, the ipns tool, two libp2p peers. */
@Tag("interop")
class NodeScriptTest {
    /** A fixed Ed25519 key (libp2p PrivateKey protobuf), generated once with @libp2p/crypto. */
    static final byte[] ED25519_KEY = HexFormat.of().parseHex(
            "08011240df074624de32c8fa77f831cbe1e5d634392be55143e25e042fc60d64b76f0cb1"
                    + "0bad1853e401b256660d33c67f4996881019630bceb59bbdcd462680e20f641a");
    /** Some other Ed25519 key's IPNS name. */
    static final String OTHER_NAME = "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8";
    static final String VALUE = "/ipfs/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);

    static IpnsTool js;

    @BeforeAll
    static void startTool() {
        js = IpnsTool.start();
    }

    @AfterAll
    static void stopTool() {
        if (js != null) {
            js.close();
        }
    }

    @Test
    void ipnsToolCreatesV1CompatibleRecordThatItsValidatorAccepts() {
        IpnsTool.Created rec = js.create(IpnsTool.CreateRequest.of(ED25519_KEY, VALUE, 42)
                .withTtl(Duration.ofSeconds(90)));
        assertTrue(rec.name().startsWith("k51"), rec.name());
        IpnsTool.Verified v = js.verify(rec.name(), rec.record());
        assertTrue(v.valid(), v.error());
        assertEquals(VALUE, v.value());
        assertEquals(42, v.sequence());
        assertEquals(Duration.ofSeconds(90).toNanos(), v.ttlNs());
        assertTrue(v.v1());
        assertTrue(js.verify("/ipns/" + rec.name(), rec.record()).valid(), "/ipns/-prefixed name");
    }

    @Test
    void ipnsToolRejectsTamperedRecordAndWrongName() {
        IpnsTool.Created rec = js.create(IpnsTool.CreateRequest.of(ED25519_KEY, VALUE, 1));
        byte[] tampered = rec.record();
        int at = new String(tampered, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("bafkrei") + 10;
        tampered[at] ^= 0x01;
        IpnsTool.Verified bad = js.verify(rec.name(), tampered);
        assertFalse(bad.valid());
        assertFalse(bad.error().isBlank());
        IpnsTool.Verified wrongName = js.verify(OTHER_NAME, rec.record());
        assertFalse(wrongName.valid());
        assertNull(wrongName.value());
    }

    @Test
    void ipnsToolSignsExtraCborKeysIntoV2OnlyRecord() {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("Zzz", "extension");
        extra.put("Blob", new byte[] {0, (byte) 0xff});
        IpnsTool.Created rec = js.create(IpnsTool.CreateRequest.of(ED25519_KEY, VALUE, 7)
                .withV1Compatible(false).withExtraData(extra));
        String hex = HexFormat.of().formatHex(rec.record());
        assertTrue(hex.contains(HexFormat.of().formatHex("extension".getBytes(java.nio.charset.StandardCharsets.UTF_8))),
                "extra value is in the signed data");
        IpnsTool.Verified v = js.verify(rec.name(), rec.record());
        assertTrue(v.valid(), v.error());
        assertFalse(v.v1());
        assertEquals(7, v.sequence());
    }

    @Test
    void ipnsToolRefusalBecomesFailureWithItsMessage() {
        NodeScriptException e = assertThrows(NodeScriptException.class,
                () -> js.create(IpnsTool.CreateRequest.of(new byte[] {1, 2, 3}, VALUE, 1)));
        assertTrue(e.getMessage().contains("ipns-tool refused"), e.getMessage());
        // the tool survives a refusal
        assertTrue(js.verify(js.create(IpnsTool.CreateRequest.of(ED25519_KEY, VALUE, 2)).name(),
                js.create(IpnsTool.CreateRequest.of(ED25519_KEY, VALUE, 2)).record()).valid());
    }

    @Test
    void twoJsPeersEchoOneMebibyteOverTwoStreams() {
        try (NodeScript listener = NodeScript.start("libp2p-peer.mjs", "listen")) {
            JsonNode listening = listener.awaitEvent("listening", EVENT_TIMEOUT);
            String addr = listening.path("addrs").path(0).asText();
            assertTrue(addr.startsWith("/ip4/127.0.0.1/tcp/") && addr.contains("/p2p/12D3KooW"), addr);

            try (NodeScript dialer = NodeScript.start("libp2p-peer.mjs", "dial", addr,
                    "--echo-bytes", "1048576", "--streams", "2", "--ping-count", "2")) {
                JsonNode id = dialer.awaitEvent("identify", EVENT_TIMEOUT);
                assertTrue(id.path("agentVersion").asText().contains("js-libp2p"), id.toString());
                assertTrue(id.path("protocols").toString().contains("/ipns-link/test/echo/1.0.0"), id.toString());

                List<JsonNode> echoes = new ArrayList<>();
                JsonNode ev;
                int pings = 0;
                while (!"done".equals((ev = dialer.nextEvent(EVENT_TIMEOUT)).path("event").asText())) {
                    switch (ev.path("event").asText()) {
                        case "ping" -> pings++;
                        case "echo" -> echoes.add(ev);
                        default -> { }
                    }
                }
                assertTrue(ev.path("ok").asBoolean(), ev.toString());
                assertEquals(2, pings);
                assertEquals(2, echoes.size());
                for (JsonNode e : echoes) {
                    assertEquals(1048576, e.path("bytes").asInt(), e.toString());
                    assertTrue(e.path("match").asBoolean(), e.toString());
                }
                assertEquals(0, dialer.waitFor(EVENT_TIMEOUT));
            }
            JsonNode served = listener.awaitEvent("echo-served", EVENT_TIMEOUT);
            assertEquals(1048576, served.path("bytes").asInt(), served.toString());
        }
    }

    @Test
    void scriptThatExitsEarlyFailsWithItsStderr() {
        try (NodeScript bad = NodeScript.start("libp2p-peer.mjs", "no-such-mode")) {
            NodeScriptException e = assertThrows(NodeScriptException.class,
                    () -> bad.awaitEvent("listening", EVENT_TIMEOUT));
            assertTrue(e.getMessage().contains("usage"), e.getMessage());
            assertEquals(2, bad.waitFor(EVENT_TIMEOUT));
        }
    }
}
