package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.testing.NodeScript;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway fetches a site's static file by bitswap from a Helia 7 node (@helia/bitswap,
 * interop/bitswap-peer.mjs): the manifest names Helia's peer and addresses, the gateway dials it
 * for the request and gets the file's blocks (a root and its raw leaves), verified, byte-equal.
 */
@Tag("interop")
class StaticSiteHeliaInteropTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    NodeScript js;
    GatewayServer gateway;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (js != null) {
            js.close();
        }
    }

    @Test
    void aStaticFileComesFromHeliaByBitswap() throws Exception {
        js = NodeScript.start("bitswap-peer.mjs", "--timeout", "120");
        JsonNode listening = js.awaitEvent("listening", Duration.ofSeconds(60));
        PeerId helia = PeerId.parse(listening.path("peerId").asText());
        List<Multiaddr> addrs = new ArrayList<>();
        listening.path("addrs").forEach(a -> addrs.add(Multiaddr.parse(a.asText())));
        ObjectNode add = JSON.createObjectNode().put("op", "add").put("size", 700_000).put("seed", 11)
                .put("profile", "v1");
        JsonNode added = js.call(add, Duration.ofSeconds(45));
        assertTrue(added.path("ok").asBoolean(), added.toString());
        Cid root = Cid.parse(added.path("root").asText());

        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "dial-timeout", "5s", "ipfs-fetch-timeout", "20s", "ipfs-cache-dir", dir.resolve("cache").toString()));
        Sites.Site site = Sites.Site.generate();
        gateway.publish(site, new Manifest(helia, addrs, null, null, false,
                List.of(new Manifest.StaticEntry("/file", root.toString())), List.of(), List.of()));

        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name()
                + "/file")).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(700_000, r.body().length);
        assertEquals(added.path("sha256").asText(),
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(r.body())));
        assertEquals("\"" + root + "\"", r.headers().firstValue("ETag").orElse(null));
        IpfsGateway ipfs = (IpfsGateway) gateway.contextAttribute(IpfsGateway.ATTRIBUTE);
        assertTrue(ipfs.blocks().cache().has(root));
    }
}
