package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsValidator;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.routing.client.RoutingV1Client;
import io.ipnslink.testing.NodeScript;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Publishing to the JS delegated routing v1 server (@helia/delegated-routing-v1-http-api-server). */
@Tag("interop")
class JsRouterInteropTest {
    @Test
    void recordsPublishedToTheJsServerAreStoredAndComeBackVerified() throws Exception {
        try (NodeScript js = NodeScript.start("delegated-routing.mjs", "server");
                RoutingV1Client client = new RoutingV1Client()) {
            URI url = URI.create(js.awaitEvent("listening", Duration.ofSeconds(60)).path("url").asText());
            PrivKey site = PrivKey.generateEd25519();
            IpnsName name = IpnsName.of(site.peerId());
            Publisher p = new Publisher(client, new SequenceStore(Files.createTempDirectory("seq")),
                    Publisher.Settings.defaults().withRetries(2, Duration.ofMillis(50)), Clock.systemUTC());
            Publisher.Result first = p.publish(site, PublisherTest.MANIFEST, List.of(url));
            assertTrue(first.allOk(), first.toString());
            Publisher.Result second = p.publish(site, PublisherTest.MANIFEST.asOffline(), List.of(url));
            assertTrue(second.allOk(), second.toString());

            ObjectNode get = new ObjectMapper().createObjectNode().put("op", "get").put("name", name.toString());
            JsonNode answer = js.call(get, Duration.ofSeconds(30));
            assertTrue(answer.path("found").asBoolean(), answer.toString());
            IpnsRecord r = IpnsValidator.validate(name, HexFormat.of().parseHex(answer.path("record").asText()));
            assertEquals(second.sequence(), r.sequence());
            assertEquals(PublisherTest.MANIFEST.asOffline(), Manifest.fromRecord(r).orElseThrow());
            assertEquals(second.sequence(), client.getIpns(url, name).orElseThrow().sequence());
        }
    }
}
