package io.ipnslink.filter.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.testing.NodeScript;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filter's routing v1 endpoint against {@code @helia/delegated-routing-v1-http-api-client}
 * (driven by {@code interop/delegated-routing.mjs}): the JS client writes records through the
 * filter in Tomcat and reads them back; the gateway then serves what the JS client stored.
 */
@Tag("interop")
class FilterRoutingInteropTest {
    static final Duration STARTUP = Duration.ofSeconds(60);
    static final Duration CALL = Duration.ofSeconds(20);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HexFormat HEX = HexFormat.of();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    static GatewayServer gateway;
    static NodeScript jsClient;

    @BeforeAll
    static void start() throws Exception {
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of());
        jsClient = NodeScript.start("delegated-routing.mjs", "client", "--url",
                gateway.base().toString().replaceAll("/+$", ""));
        jsClient.awaitEvent("ready", STARTUP);
    }

    @AfterAll
    static void stop() throws Exception {
        if (jsClient != null) {
            jsClient.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void jsClientPutsThroughTheFilterAndTheGatewayServesTheRecord() throws Exception {
        Sites.Site alice = Sites.Site.generate();
        IpnsRecord r = Sites.record(alice, Sites.deadManifest(null, true), 4, Duration.ofHours(1), Duration.ofMinutes(5));
        JsonNode put = jsClient.call(request("put", alice.name()).put("record", HEX.formatHex(r.raw())), CALL);
        assertTrue(put.path("ok").asBoolean(), put.toString());

        JsonNode got = jsClient.call(request("get", alice.name()), CALL);
        assertTrue(got.path("found").asBoolean(), got.toString());
        assertArrayEquals(r.raw(), HEX.parseHex(got.path("record").asText()));

        // the gateway resolves the name from what the JS client stored: raw record, then the site
        HttpResponse<byte[]> raw = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.base() + "/ipns/" + alice.name()
                + "?format=ipns-record")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, raw.statusCode());
        assertArrayEquals(r.raw(), raw.body());
        HttpResponse<String> site = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.base() + "/ipns/" + alice.name()
                + "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(504, site.statusCode(), "the manifest says offline: " + site.body());
    }

    @Test
    void aLowerSequenceFromTheJsClientDoesNotReplaceAHigherOne() {
        Sites.Site bob = Sites.Site.generate();
        IpnsRecord high = Sites.record(bob, Sites.deadManifest(null, true), 9, Duration.ofHours(1), Duration.ofMinutes(5));
        IpnsRecord low = Sites.record(bob, Sites.deadManifest(null, true), 3, Duration.ofHours(1), Duration.ofMinutes(5));
        assertTrue(jsClient.call(request("put", bob.name()).put("record", HEX.formatHex(high.raw())), CALL)
                .path("ok").asBoolean());
        jsClient.call(request("put", bob.name()).put("record", HEX.formatHex(low.raw())), CALL);
        JsonNode got = jsClient.call(request("get", bob.name()), CALL);
        assertArrayEquals(high.raw(), HEX.parseHex(got.path("record").asText()), got.toString());
    }

    @Test
    void jsClientGetsNotFoundAndItsForgedPutIsRefused() {
        Sites.Site carol = Sites.Site.generate();
        Sites.Site mallory = Sites.Site.generate();
        JsonNode none = jsClient.call(request("get", carol.name()), CALL);
        assertTrue(none.path("ok").asBoolean(), none.toString());
        assertFalse(none.path("found").asBoolean(), none.toString());
        byte[] forged = Sites.record(mallory, Sites.deadManifest(null, true), 1, Duration.ofHours(1),
                Duration.ofMinutes(5)).raw();
        JsonNode put = jsClient.call(request("put", carol.name()).put("record", HEX.formatHex(forged)), CALL);
        assertFalse(put.path("ok").asBoolean(), put.toString());
        assertFalse(jsClient.call(request("get", carol.name()), CALL).path("found").asBoolean());
    }

    private static ObjectNode request(String op, IpnsName name) {
        return JSON.createObjectNode().put("op", op).put("name", name.toString());
    }
}
