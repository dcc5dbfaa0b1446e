package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.exposer.StubRouter;
import io.ipnslink.exposer.cli.CliFixture.Running;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ExposeCommandsTest {
    @RegisterExtension
    static final CliFixture fx = new CliFixture();

    IpnsRecord stored() throws Exception {
        return fx.stored(fx.blog);
    }

    @Test
    void exposePublishesAVerifiableManifestAndAnswersStatusHidePublishAndP2p() throws Exception {
        Running expose = fx.startExposeBlog("--onfail=https://down.example/");
        IpnsRecord r = stored();
        Manifest m = Manifest.fromRecord(r).orElseThrow();
        assertFalse(m.offline());
        assertEquals("https://down.example/", m.onfail());
        assertFalse(m.addresses().isEmpty(), "loopback router: loopback addresses announced");
        assertEquals(fx.router.uri().toString(), m.gateways().get(0));
        assertTrue(fx.tunnel.served.contains(fx.blog));

        JsonNode status = fx.cli.run("status", "--json").json();
        JsonNode site = status.path("sites").get(0);
        assertEquals("blog", site.path("site").asText());
        assertEquals(fx.blog.toString(), site.path("name").asText());
        assertTrue(site.path("lastPublish").path("routers").get(0).path("ok").asBoolean(), status.toString());
        assertEquals(fx.router.uri() + "/ipns/" + fx.blog + "/", site.path("gatewayUrls").get(0).asText());
        CliRunner.Run text = fx.cli.run("status");
        assertEquals(0, text.code());
        assertTrue(text.out().contains("site blog (" + fx.blog + ")"), text.out());

        CliRunner.Run hide = fx.cli.run("hide", "blog");
        assertEquals(0, hide.code(), hide.err());
        IpnsRecord hidden = stored();
        assertTrue(Manifest.fromRecord(hidden).orElseThrow().offline());
        assertTrue(Long.compareUnsigned(hidden.sequence(), r.sequence()) > 0);
        assertFalse(fx.tunnel.served.contains(fx.blog), "hidden site is not served");

        assertEquals(0, fx.cli.run("publish", "blog").code());
        assertFalse(Manifest.fromRecord(stored()).orElseThrow().offline());
        assertTrue(fx.tunnel.served.contains(fx.blog));
        assertEquals(1, fx.cli.run("publish", "nope").code());

        String peer = status.path("peer").asText();
        String addr = status.path("listen").get(0).asText() + "/p2p/" + peer;
        JsonNode id = fx.cli.run("p2p", "id", addr, "--json").json();
        assertEquals(peer, id.path("peer").asText());
        assertTrue(id.path("agentVersion").asText().startsWith("ipns-link/"), id.toString());
        JsonNode ping = fx.cli.run("p2p", "ping", addr, "-n", "2", "--json").json();
        assertEquals(2, ping.path("rttMillis").size());
        CliRunner.Run noPeer = fx.cli.run("p2p", "ping", status.path("listen").get(0).asText());
        assertEquals(1, noPeer.code());
        assertTrue(noPeer.err().contains("/p2p/<peer id>"), noPeer.err());

        JsonNode resolved = fx.cli.run("resolve", "blog", "--router", fx.router.uri().toString(), "--json").json();
        assertEquals(fx.blog.toString(), resolved.path("name").asText());
        assertEquals(peer, resolved.path("manifest").path("peer").asText());
        CliRunner.Run done = expose.stop();
        assertEquals(0, done.code(), done.err());
        assertTrue(done.out().contains("published " + fx.blog), done.out());
        assertTrue(done.err().contains("warning: origin unreachable: http://127.0.0.1:9"), done.err());
        assertFalse(Files.exists(fx.dir.resolve("home/expose.json")), "control file removed");
        assertTrue(fx.tunnel.closed);
        CliRunner.Run noExpose = fx.cli.run("status");
        assertEquals(1, noExpose.code());
        assertTrue(noExpose.err().startsWith("ipns-link: no expose is running"), noExpose.err());
    }

    @Test
    void hideWithoutARunningExposePublishesAnOfflineManifestAtOnce() throws Exception {
        CliRunner.Run hide = fx.cli.run("hide", "blog", "--publish-to", fx.router.uri().toString(), "--json");
        assertEquals(0, hide.code(), hide.err());
        assertTrue(hide.json().path("offline").asBoolean());
        Manifest m = Manifest.fromRecord(stored()).orElseThrow();
        assertTrue(m.offline());
        assertTrue(m.addresses().isEmpty());
        CliRunner.Run noRouter = fx.cli.run("hide", "blog");
        assertEquals(1, noRouter.code());
        assertTrue(noRouter.err().contains("give --publish-to"), noRouter.err());
    }

    @Test
    void routerRefusalIsReportedWithItsReason() throws Exception {
        try (StubRouter refusing = new StubRouter(400, "record rejected: too old")) {
            CliRunner.Run r = fx.cli.run("hide", "blog", "--publish-to", refusing.uri().toString());
            assertEquals(1, r.code());
            assertTrue(r.err().contains("router refused the record") && r.err().contains("too old"), r.err());
            assertFalse(r.err().contains("\tat "));
        }
    }

    @Test
    void exposeMistakesGetOneLineMessages() throws Exception {
        CliRunner.Run unknown = fx.cli.run("expose", "nope", "http://127.0.0.1:3000", "--publish-to", fx.router.uri().toString());
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().startsWith("ipns-link: unknown site 'nope'"), unknown.err());
        CliRunner.Run noRouter = fx.cli.run("expose", "blog", "http://127.0.0.1:3000");
        assertEquals(2, noRouter.code());
        assertTrue(noRouter.err().contains("--publish-to"), noRouter.err());
        CliRunner.Run badOrigin = fx.cli.run("expose", "blog", "ftp://x", "--publish-to", fx.router.uri().toString());
        assertEquals(1, badOrigin.code());
        assertTrue(badOrigin.err().contains("not an http(s) URL"), badOrigin.err());
        CliRunner.Run badPeer = fx.cli.run("expose", "blog", "http://127.0.0.1:3000", "--publish-to", fx.router.uri().toString(),
                "--trusted-gateway", "not-a-peer");
        assertEquals(1, badPeer.code());
        assertTrue(badPeer.err().startsWith("ipns-link: --trusted-gateway 'not-a-peer' is not a peer id"), badPeer.err());
        CliRunner.Run badListen = fx.cli.run("expose", "blog", "http://127.0.0.1:3000", "--publish-to", fx.router.uri().toString(),
                "--listen", "/ip4/nope");
        assertEquals(1, badListen.code());
        assertTrue(badListen.err().contains("--listen '/ip4/nope' is not a multiaddr"), badListen.err());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CliRunner.Run busy = fx.cli.run("expose", "blog", "http://127.0.0.1:3000", "--publish-to", fx.router.uri().toString(),
                    "--listen", "/ip4/127.0.0.1/tcp/" + taken.getLocalPort());
            assertEquals(1, busy.code());
            assertTrue(busy.err().startsWith("ipns-link: port taken"), busy.err());
            assertEquals(1, busy.err().trim().lines().count(), busy.err());
        }
    }

    @Test
    void trustedGatewaysReachTheTunnelBeforeAnySite() throws Exception {
        String gw = io.ipnslink.core.crypto.PrivKey.generateEd25519().peerId().toString();
        Running expose = fx.startExposeBlog("--trusted-gateway", gw);
        assertEquals(java.util.Set.of(io.ipnslink.core.crypto.PeerId.parse(gw)), fx.tunnel.trustedGateways);
        assertTrue(fx.tunnel.trustedBeforeFirstSite, "trusted before the first site was served");
        assertEquals(0, expose.stop().code());
    }

    @Test
    void exposeReadsSitesFromAConfigFile() throws Exception {
        fx.cli.run("key", "gen", "shop");
        Path cfg = fx.dir.resolve("expose.json");
        Files.writeString(cfg, "{\"publishTo\": [\"" + fx.router.uri() + "\"], \"listen\": [\"/ip4/127.0.0.1/tcp/0\"],"
                + " \"sites\": [{\"site\": \"shop\", \"origin\": \"http://127.0.0.1:9\", \"host\": \"shop.example\"}],"
                + " \"ttl\": \"30s\", \"future\": 1}");
        Running expose = fx.startExpose("expose", "--config", cfg.toString(), "--json");
        CliRunner.Run done = expose.stop();
        assertEquals(0, done.code(), done.err());
        JsonNode out = CliRunner.JSON.readTree(done.out());
        IpnsName shop = IpnsName.parse(out.path("sites").get(0).path("name").asText());
        IpnsRecord r = fx.client.getIpns(fx.router.uri(), shop).orElseThrow();
        assertEquals("shop.example", Manifest.fromRecord(r).orElseThrow().host());
        assertEquals(Duration.ofSeconds(30), r.ttl());
    }
}
