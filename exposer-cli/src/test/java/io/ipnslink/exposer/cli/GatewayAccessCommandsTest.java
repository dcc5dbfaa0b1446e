package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.RsaPrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestSeal;
import io.ipnslink.core.manifest.RecipientKey;
import io.ipnslink.exposer.FakeTunnel;
import io.ipnslink.exposer.TestRouter;
import io.ipnslink.routing.client.RoutingV1Client;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --allow-gateway}, {@code --encrypt-to}, {@code --encrypt-host} on expose, publish and hide, and in the config file. */
class GatewayAccessCommandsTest {
    @TempDir
    static Path routerDir;
    static TestRouter router;
    static RoutingV1Client client;

    @TempDir
    Path dir;
    CliRunner cli;
    FakeTunnel tunnel;
    IpnsName blog;
    final PrivKey gwA = Ed25519PrivKey.generate();
    final PrivKey gwB = Ed25519PrivKey.generate();

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

    Manifest stored(IpnsName name) throws Exception {
        return Manifest.fromRecord(client.getIpns(router.uri(), name).orElseThrow()).orElseThrow();
    }

    CountDownLatch start(CompletableFuture<CliRunner.Run> result, String... args) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        new Thread(() -> result.complete(cli.run(stop, args))).start();
        Path control = dir.resolve("home/expose.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(control) && !result.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(control), () -> "expose did not start: " + result.getNow(null));
        return stop;
    }

    @Test
    void exposeSealsToRecipientsAllowsBothAndTheTunnelRefusesOthers() throws Exception {
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = start(result, "expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--listen=/ip4/127.0.0.1/tcp/0", "--host", "blog.internal", "--allow-gateway", gwA.peerId().toString(),
                "--encrypt-to", gwB.peerId().toString(), "--encrypt-host");
        try {
            Manifest m = stored(blog);
            assertEquals(2, m.version());
            assertEquals(List.of(gwA.peerId(), gwB.peerId()), m.allowedGateways());
            assertTrue(m.addresses().isEmpty(), "addresses are sealed");
            assertNull(m.host(), "host is sealed");
            assertTrue(m.gateways().isEmpty(), "gateways are sealed");
            Manifest open = ManifestSeal.open(m, blog, RecipientKey.of(gwB));
            assertFalse(open.addresses().isEmpty());
            assertEquals("blog.internal", open.host());
            assertEquals(Set.of(gwA.peerId(), gwB.peerId()), tunnel.allowed.get(blog));

            var status = cli.run("status", "--json");
            assertEquals(0, status.code(), status.err());

            CliRunner.Run refused = cli.run("publish", "blog", "--encrypt-to", gwA.peerId().toString());
            assertEquals(1, refused.code());
            assertTrue(refused.err().contains("running expose"), refused.err());

            assertEquals(0, cli.run("hide", "blog").code());
            Manifest hidden = stored(blog);
            assertTrue(hidden.offline());
            assertEquals(List.of(gwA.peerId(), gwB.peerId()), hidden.allowedGateways());
        } finally {
            stop.countDown();
        }
        assertEquals(0, result.get(30, TimeUnit.SECONDS).code());
        // no expose running: publish and hide write what the last expose saved
        CliRunner.Run pub = cli.run("publish", "blog", "--publish-to", router.uri().toString());
        assertEquals(0, pub.code(), pub.err());
        Manifest later = stored(blog);
        assertEquals(List.of(gwB.peerId()), later.sealed().recipients().stream().map(Manifest.Recipient::peer).toList());
        assertEquals("blog.internal", ManifestSeal.open(later, blog, RecipientKey.of(gwB)).host());
        // ...or what this command says
        pub = cli.run("publish", "blog", "--publish-to", router.uri().toString(), "--allow-gateway", gwA.peerId().toString());
        assertEquals(0, pub.code(), pub.err());
        Manifest listed = stored(blog);
        assertNull(listed.sealed());
        assertEquals(List.of(gwA.peerId()), listed.allowedGateways());
        assertEquals(1, listed.version());
    }

    @Test
    void configFileSitesHaveTheirOwnLists() throws Exception {
        IpnsName shop = IpnsName.parse(cli.run("key", "gen", "shop", "--json").json().path("id").asText());
        Path cfg = dir.resolve("expose.json");
        Files.writeString(cfg, "{\"publishTo\": [\"" + router.uri() + "\"], \"listen\": [\"/ip4/127.0.0.1/tcp/0\"],"
                + " \"sites\": [{\"site\": \"shop\", \"origin\": \"http://127.0.0.1:9\", \"allowGateways\": [\""
                + gwA.peerId() + "\"]}, {\"site\": \"blog\", \"origin\": \"http://127.0.0.1:9\", \"encryptTo\": [\""
                + gwB.peerId() + "\"]}]}");
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = start(result, "expose", "--config", cfg.toString());
        try {
            Manifest s = stored(shop);
            assertEquals(List.of(gwA.peerId()), s.allowedGateways());
            assertNull(s.sealed());
            assertFalse(s.addresses().isEmpty());
            Manifest b = stored(blog);
            assertEquals(List.of(gwB.peerId()), b.allowedGateways());
            assertTrue(b.addresses().isEmpty());
            assertFalse(b.gateways().isEmpty(), "gateways stay clear without encryptHost");
            assertEquals(Set.of(gwA.peerId()), tunnel.allowed.get(shop));
            assertEquals(Set.of(gwB.peerId()), tunnel.allowed.get(blog));
        } finally {
            stop.countDown();
        }
        assertEquals(0, result.get(30, TimeUnit.SECONDS).code());
    }

    @Test
    void mistakesGetOneLineMessages() {
        String r = router.uri().toString();
        CliRunner.Run bad = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to", r, "--allow-gateway", "nope");
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("ipns-link: --allow-gateway 'nope' is not a peer id"), bad.err());
        PeerId rsa = RsaPrivKey.generate(2048).peerId();
        bad = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to", r, "--encrypt-to", rsa.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("Ed25519"), bad.err());
        bad = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to", r, "--encrypt-host");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--encrypt-host needs"), bad.err());
        List<String> args = new ArrayList<>(List.of("expose", "blog", "http://127.0.0.1:9", "--publish-to", r));
        for (int i = 0; i <= Manifest.MAX_ALLOWED_GATEWAYS; i++) {
            args.add("--allow-gateway");
            args.add(Ed25519PrivKey.generate().peerId().toString());
        }
        bad = cli.run(args.toArray(String[]::new));
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("at most " + Manifest.MAX_ALLOWED_GATEWAYS), bad.err());
        for (CliRunner.Run run : List.of(bad)) {
            assertEquals(1, run.err().trim().lines().count(), run.err());
        }
    }
}
