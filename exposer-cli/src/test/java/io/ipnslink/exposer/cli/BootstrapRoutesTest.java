package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.exposer.FakeTunnel;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.ipns.IpnsP2pNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --bootstrap} on loopback: a node of ours plays the IPFS network (DHT server, pubsub);
 * {@code expose} with only {@code --bootstrap} publishes there, {@code status} tells how many peers
 * took the record, {@code resolve --bootstrap} finds it through the DHT and pubsub.
 */
class BootstrapRoutesTest {
    @TempDir
    Path dir;
    CliRunner cli;
    IpnsP2pNode network;
    String bootstrap;
    IpnsName blog;

    @BeforeEach
    void setUp() throws Exception {
        network = IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(), true, IpnsP2pNode.DhtMode.SERVER)
                .withListen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))));
        bootstrap = network.host().listenAddresses().get(0) + "/p2p/" + network.host().peerId();
        cli = new CliRunner(dir.resolve("home"), h -> new FakeTunnel());
        blog = IpnsName.parse(cli.run("key", "gen", "blog", "--json").json().path("id").asText());
    }

    @AfterEach
    void tearDown() {
        network.close();
    }

    @Test
    void exposeWithOnlyBootstrapPublishesOverTheDhtAndResolveFindsIt() throws Exception {
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = new CountDownLatch(1);
        new Thread(() -> result.complete(cli.run(stop, "expose", "blog", "http://127.0.0.1:9",
                "--bootstrap=" + bootstrap, "--listen=/ip4/127.0.0.1/tcp/0"))).start();
        Path control = dir.resolve("home/expose.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(control) && !result.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        try {
            assertTrue(Files.exists(control), () -> result.isDone() ? result.join().err() : "expose did not start");
            JsonNode status = cli.run("status", "--json").json();
            JsonNode last = status.path("sites").get(0).path("lastPublish");
            assertEquals(1, last.path("dht").path("peers").asInt(), status.toString());
            assertTrue(last.path("pubsub").path("on").asBoolean(), status.toString());
            assertEquals(0, last.path("routers").size());
            // one peer: the DHT client and pubsub peer is the tunnel's host, at its listen address
            io.ipnslink.core.crypto.PeerId exposer = io.ipnslink.core.crypto.PeerId.parse(status.path("peer").asText());
            assertTrue(network.host().connection(exposer).isPresent(), "the network knows the tunnel's peer id");
            assertEquals(List.of(exposer.toString()), network.host().connections().stream()
                    .map(c -> c.remotePeer().toString()).distinct().toList(), "no second peer");
            assertEquals("client", status.path("p2pRoutes").path("dht").asText(), status.toString());
            CliRunner.Run text = cli.run("status");
            assertTrue(text.out().contains("DHT: 1 peer(s)"), text.out());
            assertTrue(text.out().contains("p2p routes on this peer: pubsub on, DHT client"), text.out());

            JsonNode resolved = cli.run("resolve", blog.toString(), "--bootstrap", bootstrap, "--json").json();
            assertEquals(blog.toString(), resolved.path("name").asText());
            assertTrue(List.of("dht", "pubsub").contains(resolved.path("from").asText()), resolved.toString());
        } finally {
            stop.countDown();
        }
        CliRunner.Run done = result.get(30, TimeUnit.SECONDS);
        assertEquals(0, done.code(), done.err());
    }

    @Test
    void withoutRouterOrBootstrapExposeAndResolveSaySo() {
        CliRunner.Run r = cli.run("expose", "blog", "http://127.0.0.1:9");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--bootstrap MULTIADDR"), r.err());
        CliRunner.Run bad = cli.run("resolve", blog.toString(), "--bootstrap", "/ip4/127.0.0.1/tcp/1");
        assertEquals(1, bad.code(), bad.err());
        assertTrue(bad.err().contains("--bootstrap"), bad.err());
    }
}
