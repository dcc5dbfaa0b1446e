package io.ipnslink.routing.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.TestRecords;
import io.ipnslink.routing.TestRecords.Identity;
import io.ipnslink.routing.TomcatServer;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.client.RoutingV1Client;
import io.ipnslink.routing.server.RoutingV1Servlet;
import io.ipnslink.routing.store.JdbcRecordStore;
import io.ipnslink.testing.NodeScript;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our servlet against {@code @helia/delegated-routing-v1-http-api-client}, and our client against
 * {@code @helia/delegated-routing-v1-http-api-server} (both driven by {@code interop/delegated-routing.mjs}).
 */
@Tag("interop")
class DelegatedRoutingInteropTest {
    static final Duration STARTUP = Duration.ofSeconds(60);
    static final Duration CALL = Duration.ofSeconds(20);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HexFormat HEX = HexFormat.of();

    @TempDir
    static Path dir;
    static JdbcRecordStore store;
    static TomcatServer tomcat;
    static NodeScript jsClient;
    static NodeScript jsServer;
    static URI jsServerUrl;
    static RoutingV1Client client;

    @BeforeAll
    static void start() throws Exception {
        store = JdbcRecordStore.h2File(dir.resolve("db"));
        tomcat = new TomcatServer(dir.resolve("tomcat"))
                .mount("/routing/v1/*", new RoutingV1Servlet(store))
                .start();
        jsClient = NodeScript.start("delegated-routing.mjs", "client", "--url", tomcat.baseUri().toString());
        jsClient.awaitEvent("ready", STARTUP);
        jsServer = NodeScript.start("delegated-routing.mjs", "server");
        jsServerUrl = URI.create(jsServer.awaitEvent("listening", STARTUP).path("url").asText());
        client = new RoutingV1Client();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (jsClient != null) {
            jsClient.close();
        }
        if (jsServer != null) {
            jsServer.close();
        }
        if (tomcat != null) {
            tomcat.close();
        }
        if (store != null) {
            store.close();
        }
    }

    // ------------------------------------------------ JS client -> our servlet

    @Test
    void jsClientPutsAJavaRecordToOurServletAndGetsItBack() {
        Identity alice = TestRecords.newIdentity();
        IpnsRecord r = alice.record(7, Instant.now().plus(Duration.ofHours(1)));
        JsonNode put = jsClient.call(request("put", alice.name()).put("record", HEX.formatHex(r.raw())), CALL);
        assertTrue(put.path("ok").asBoolean(), put.toString());
        assertArrayEquals(r.raw(), store.get(alice.name()).orElseThrow().record().raw());

        JsonNode got = jsClient.call(request("get", alice.name()), CALL);
        assertTrue(got.path("found").asBoolean(), got.toString());
        assertArrayEquals(r.raw(), HEX.parseHex(got.path("record").asText()));
    }

    @Test
    void jsClientGetsARecordTheJavaSideStored() {
        Identity bob = TestRecords.newIdentity();
        IpnsRecord r = bob.record(1, Instant.now().plus(Duration.ofHours(1)), Duration.ofSeconds(30), "/ipfs/bafkqaaa");
        assertTrue(store.put(bob.name(), r));
        JsonNode got = jsClient.call(request("get", bob.name()), CALL);
        assertTrue(got.path("ok").asBoolean() && got.path("found").asBoolean(), got.toString());
        assertArrayEquals(r.raw(), HEX.parseHex(got.path("record").asText()));
    }

    @Test
    void jsClientReadsOurNoRecordAnswerAsNotFound() {
        JsonNode got = jsClient.call(request("get", TestRecords.newIdentity().name()), CALL);
        assertTrue(got.path("ok").asBoolean(), got.toString());
        assertFalse(got.path("found").asBoolean(), got.toString());
    }

    @Test
    void jsClientPutOfAnotherKeysRecordIsRefused() {
        Identity alice = TestRecords.newIdentity();
        Identity mallory = TestRecords.newIdentity();
        byte[] forged = mallory.record(1, Instant.now().plus(Duration.ofHours(1))).raw();
        JsonNode put = jsClient.call(request("put", alice.name()).put("record", HEX.formatHex(forged)), CALL);
        assertFalse(put.path("ok").asBoolean(), put.toString());
        assertTrue(store.get(alice.name()).isEmpty());
    }

    // ------------------------------------------------ our client -> JS server

    @Test
    void ourClientPutsToTheJsServerAndGetsTheRecordBack() throws Exception {
        Identity carol = TestRecords.newIdentity();
        IpnsRecord r = carol.record(3, Instant.now().plus(Duration.ofHours(1)));
        client.putIpns(jsServerUrl, carol.name(), r.raw());
        JsonNode held = jsServer.call(request("get", carol.name()), CALL);
        assertArrayEquals(r.raw(), HEX.parseHex(held.path("record").asText()), held.toString());
        assertArrayEquals(r.raw(), client.getIpns(jsServerUrl, carol.name()).orElseThrow().raw());
    }

    @Test
    void ourClientReadsTheJsServersNotFoundAsNoRecord() throws Exception {
        assertEquals(Optional.empty(), client.getIpns(jsServerUrl, TestRecords.newIdentity().name()));
    }

    @Test
    void ourClientRefusesARecordTheJsServerHoldsForTheWrongName() {
        Identity dave = TestRecords.newIdentity();
        byte[] other = TestRecords.newIdentity().record(1, Instant.now().plus(Duration.ofHours(1))).raw();
        JsonNode put = jsServer.call(request("put", dave.name()).put("record", HEX.formatHex(other)), CALL);
        assertTrue(put.path("ok").asBoolean(), put.toString());
        RoutingException e = assertThrows(RoutingException.class, () -> client.getIpns(jsServerUrl, dave.name()));
        assertEquals(RoutingException.Kind.INVALID_RECORD, e.kind());
    }

    @Test
    void theJsServerRejectsAnInvalidPutFromOurClient() {
        Identity erin = TestRecords.newIdentity();
        RoutingException e = assertThrows(RoutingException.class,
                () -> client.putIpns(jsServerUrl, erin.name(), new byte[] {1, 2, 3}));
        assertEquals(RoutingException.Kind.REJECTED, e.kind());
        assertTrue(e.status() >= 400, e.getMessage());
    }

    private static ObjectNode request(String op, IpnsName name) {
        return JSON.createObjectNode().put("op", op).put("name", name.toString());
    }
}
