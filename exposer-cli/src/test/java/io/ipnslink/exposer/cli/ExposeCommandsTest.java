package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.exposer.FakeTunnel;
import io.ipnslink.exposer.StubRouter;
import io.ipnslink.exposer.TestRouter;
import io.ipnslink.routing.client.RoutingV1Client;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExposeCommandsTest {
    @TempDir
    static Path routerDir;
    static TestRouter router;
    static RoutingV1Client client;

    @TempDir
    Path dir;
    CliRunner cli;
    FakeTunnel tunnel;
    IpnsName blog;

    @BeforeAll
    static void startRouter() throws Exception {
        router = new TestRouter(routerDir);
        client = new RoutingV1Client();
    }

    @AfterAll
    static void stopRouter() throws Exception {
        client.close();
        router.close();
    }

    @BeforeEach
    void setUp() {
        tunnel = new FakeTunnel();
        cli = new CliRunner(dir.resolve("home"), h -> tunnel);
        blog = IpnsName.parse(cli.run("key", "gen", "blog", "--json").json().path("id").asText());
    }

    /** Starts {@code expose} in a thread; returns the stop latch once the control file is there. */
    CountDownLatch expose(CompletableFuture<CliRunner.Run> result, String... extra) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        String[] args = new String[5 + extra.length];
        args[0] = "expose";
        args[1] = "blog";
        args[2] = "http://127.0.0.1:9";
        args[3] = "--publish-to=" + router.uri();
        args[4] = "--listen=/ip4/127.0.0.1/tcp/0";
        System.arraycopy(extra, 0, args, 5, extra.length);
        new Thread(() -> result.complete(cli.run(stop, args))).start();
        Path control = dir.resolve("home/expose.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(control) && !result.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(control), () -> "expose did not start: " + result.getNow(null));
        return stop;
    }

    IpnsRecord stored() throws Exception {
        return client.getIpns(router.uri(), blog).orElseThrow();
    }

    @Test
    void exposePublishesAVerifiableManifestAndAnswersStatusHidePublishAndP2p() throws Exception {
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = expose(result, "--onfail=https://down.example/");
        try {
            IpnsRecord r = stored();
            Manifest m = Manifest.fromRecord(r).orElseThrow();
            assertFalse(m.offline());
            assertEquals("https://down.example/", m.onfail());
            assertFalse(m.addresses().isEmpty(), "loopback router: loopback addresses announced");
            assertEquals(router.uri().toString(), m.gateways().get(0));
            assertTrue(tunnel.served.contains(blog));

            JsonNode status = cli.run("status", "--json").json();
            JsonNode site = status.path("sites").get(0);
            assertEquals("blog", site.path("site").asText());
            assertEquals(blog.toString(), site.path("name").asText());
            assertTrue(site.path("lastPublish").path("routers").get(0).path("ok").asBoolean(), status.toString());
            assertEquals(router.uri() + "/ipns/" + blog + "/", site.path("gatewayUrls").get(0).asText());
            CliRunner.Run text = cli.run("status");
            assertEquals(0, text.code());
            assertTrue(text.out().contains("site blog (" + blog + ")"), text.out());

            CliRunner.Run hide = cli.run("hide", "blog");
            assertEquals(0, hide.code(), hide.err());
            IpnsRecord hidden = stored();
            assertTrue(Manifest.fromRecord(hidden).orElseThrow().offline());
            assertTrue(Long.compareUnsigned(hidden.sequence(), r.sequence()) > 0);
            assertFalse(tunnel.served.contains(blog), "hidden site is not served");

            assertEquals(0, cli.run("publish", "blog").code());
            assertFalse(Manifest.fromRecord(stored()).orElseThrow().offline());
            assertTrue(tunnel.served.contains(blog));
            assertEquals(1, cli.run("publish", "nope").code());

            String peer = status.path("peer").asText();
            String addr = status.path("listen").get(0).asText() + "/p2p/" + peer;
            JsonNode id = cli.run("p2p", "id", addr, "--json").json();
            assertEquals(peer, id.path("peer").asText());
            assertTrue(id.path("agentVersion").asText().startsWith("ipns-link/"), id.toString());
            JsonNode ping = cli.run("p2p", "ping", addr, "-n", "2", "--json").json();
            assertEquals(2, ping.path("rttMillis").size());
            CliRunner.Run noPeer = cli.run("p2p", "ping", status.path("listen").get(0).asText());
            assertEquals(1, noPeer.code());
            assertTrue(noPeer.err().contains("/p2p/<peer id>"), noPeer.err());

            JsonNode resolved = cli.run("resolve", "blog", "--router", router.uri().toString(), "--json").json();
            assertEquals(blog.toString(), resolved.path("name").asText());
            assertEquals(peer, resolved.path("manifest").path("peer").asText());
        } finally {
            stop.countDown();
        }
        CliRunner.Run done = result.get(30, TimeUnit.SECONDS);
        assertEquals(0, done.code(), done.err());
        assertTrue(done.out().contains("published " + blog), done.out());
        assertTrue(done.err().contains("warning: origin unreachable: http://127.0.0.1:9"), done.err());
        assertFalse(Files.exists(dir.resolve("home/expose.json")), "control file removed");
        assertTrue(tunnel.closed);
        CliRunner.Run noExpose = cli.run("status");
        assertEquals(1, noExpose.code());
        assertTrue(noExpose.err().startsWith("ipns-link: no expose is running"), noExpose.err());
    }

    @Test
    void hideWithoutARunningExposePublishesAnOfflineManifestAtOnce() throws Exception {
        CliRunner.Run hide = cli.run("hide", "blog", "--publish-to", router.uri().toString(), "--json");
        assertEquals(0, hide.code(), hide.err());
        assertTrue(hide.json().path("offline").asBoolean());
        Manifest m = Manifest.fromRecord(stored()).orElseThrow();
        assertTrue(m.offline());
        assertTrue(m.addresses().isEmpty());
        CliRunner.Run noRouter = cli.run("hide", "blog");
        assertEquals(1, noRouter.code());
        assertTrue(noRouter.err().contains("give --publish-to"), noRouter.err());
    }

    @Test
    void routerRefusalIsReportedWithItsReason() throws Exception {
        try (StubRouter refusing = new StubRouter(400, "record rejected: too old")) {
            CliRunner.Run r = cli.run("hide", "blog", "--publish-to", refusing.uri().toString());
            assertEquals(1, r.code());
            assertTrue(r.err().contains("router refused the record") && r.err().contains("too old"), r.err());
            assertFalse(r.err().contains("\tat "));
        }
    }

    @Test
    void exposeMistakesGetOneLineMessages() throws Exception {
        CliRunner.Run unknown = cli.run("expose", "nope", "http://127.0.0.1:3000", "--publish-to", router.uri().toString());
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().startsWith("ipns-link: unknown site 'nope'"), unknown.err());
        CliRunner.Run noRouter = cli.run("expose", "blog", "http://127.0.0.1:3000");
        assertEquals(2, noRouter.code());
        assertTrue(noRouter.err().contains("--publish-to"), noRouter.err());
        CliRunner.Run badOrigin = cli.run("expose", "blog", "ftp://x", "--publish-to", router.uri().toString());
        assertEquals(1, badOrigin.code());
        assertTrue(badOrigin.err().contains("not an http(s) URL"), badOrigin.err());
        CliRunner.Run badPeer = cli.run("expose", "blog", "http://127.0.0.1:3000", "--publish-to", router.uri().toString(),
                "--trusted-gateway", "not-a-peer");
        assertEquals(1, badPeer.code());
        assertTrue(badPeer.err().startsWith("ipns-link: --trusted-gateway 'not-a-peer' is not a peer id"), badPeer.err());
        CliRunner.Run badListen = cli.run("expose", "blog", "http://127.0.0.1:3000", "--publish-to", router.uri().toString(),
                "--listen", "/ip4/nope");
        assertEquals(1, badListen.code());
        assertTrue(badListen.err().contains("--listen '/ip4/nope' is not a multiaddr"), badListen.err());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CliRunner.Run busy = cli.run("expose", "blog", "http://127.0.0.1:3000", "--publish-to", router.uri().toString(),
                    "--listen", "/ip4/127.0.0.1/tcp/" + taken.getLocalPort());
            assertEquals(1, busy.code());
            assertTrue(busy.err().startsWith("ipns-link: port taken"), busy.err());
            assertEquals(1, busy.err().trim().lines().count(), busy.err());
        }
    }

    @Test
    void trustedGatewaysReachTheTunnelBeforeAnySite() throws Exception {
        String gw = io.ipnslink.core.crypto.PrivKey.generateEd25519().peerId().toString();
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = expose(result, "--trusted-gateway", gw);
        try {
            assertEquals(java.util.Set.of(io.ipnslink.core.crypto.PeerId.parse(gw)), tunnel.trustedGateways);
            assertTrue(tunnel.trustedBeforeFirstSite, "trusted before the first site was served");
        } finally {
            stop.countDown();
        }
        assertEquals(0, result.get(30, TimeUnit.SECONDS).code());
    }

    @Test
    void exposeReadsSitesFromAConfigFile() throws Exception {
        cli.run("key", "gen", "shop");
        Path cfg = dir.resolve("expose.json");
        Files.writeString(cfg, "{\"publishTo\": [\"" + router.uri() + "\"], \"listen\": [\"/ip4/127.0.0.1/tcp/0\"],"
                + " \"sites\": [{\"site\": \"shop\", \"origin\": \"http://127.0.0.1:9\", \"host\": \"shop.example\"}],"
                + " \"ttl\": \"30s\", \"future\": 1}");
        CountDownLatch stop = new CountDownLatch(1);
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        new Thread(() -> result.complete(cli.run(stop, "expose", "--config", cfg.toString(), "--json"))).start();
        Path control = dir.resolve("home/expose.json");
        for (int i = 0; i < 1500 && !Files.exists(control) && !result.isDone(); i++) {
            Thread.sleep(20);
        }
        stop.countDown();
        CliRunner.Run done = result.get(30, TimeUnit.SECONDS);
        assertEquals(0, done.code(), done.err());
        JsonNode out = CliRunner.JSON.readTree(done.out());
        IpnsName shop = IpnsName.parse(out.path("sites").get(0).path("name").asText());
        IpnsRecord r = client.getIpns(router.uri(), shop).orElseThrow();
        assertEquals("shop.example", Manifest.fromRecord(r).orElseThrow().host());
        assertEquals(Duration.ofSeconds(30), r.ttl());
    }
}
