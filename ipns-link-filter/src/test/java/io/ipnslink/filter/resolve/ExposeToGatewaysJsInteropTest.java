package io.ipnslink.filter.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.cli.Main;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.p2p.Host;
import io.ipnslink.testing.NodeScript;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain on loopback against 10 js-libp2p IPFS-like nodes and a Helia node
 * (interop/ipfs-node.mjs): the real {@code ipns-link expose SITE ORIGIN --bootstrap NODE} command
 * (no {@code --publish-to}) publishes over pubsub and the DHT from its tunnel host; Helia resolves
 * the name through the DHT to our record and manifest; a gateway (the filter in embedded Tomcat,
 * {@code bootstrap} only, no routing endpoint) serves the site's page through the tunnel; a second
 * gateway with {@code dht=off} (pubsub only) serves it too; after the exposer comes back on another
 * port, its new record reaches the first gateway over pubsub within 1 s of the publish, and the
 * gateway serves the new address at once (not after the cache TTL).
 */
@Tag("interop")
class ExposeToGatewaysJsInteropTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(45);
    static final Duration WAIT = Duration.ofSeconds(90);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private NodeScript js;
    private final List<String> nodeAddrs = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        closeables.add(c);
        return c;
    }

    /** One in-process run of the {@code ipns-link} command (expose runs until {@link #stop()}). */
    final class Cli implements AutoCloseable {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CountDownLatch stop = new CountDownLatch(1);
        final CompletableFuture<Integer> code = new CompletableFuture<>();

        Cli(String... args) {
            List<String> all = new ArrayList<>(List.of(args));
            all.add("--home");
            all.add(dir.resolve("home").toString());
            Thread t = new Thread(() -> code.complete(Main.run(new Main.Env(Map.of(), new PrintWriter(out, true),
                    new PrintWriter(err, true), new ByteArrayInputStream(new byte[0]), stop,
                    io.ipnslink.exposer.TunnelServiceAdapter::new), all.toArray(String[]::new))), "cli-" + args[0]);
            t.setDaemon(true);
            t.start();
        }

        String out() {
            return out.toString();
        }

        int await() throws Exception {
            return code.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }

        void stop() throws Exception {
            stop.countDown();
            assertEquals(0, await(), err.toString());
        }

        @Override
        public void close() throws Exception {
            stop.countDown();
            code.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private Cli run(String... args) throws Exception {
        Cli c = new Cli(args);
        assertEquals(0, c.await(), c.err.toString());
        return c;
    }

    /** Starts {@code expose} and waits until its first publish returned (it then says "serving"). */
    private Cli expose(int originPort, int listenPort) throws Exception {
        Cli c = keep(new Cli("expose", "blog", "http://127.0.0.1:" + originPort, "--bootstrap", nodeAddrs.get(0),
                "--listen", "/ip4/127.0.0.1/tcp/" + listenPort, "--announce-loopback", "--announce-direct", "always"));
        await("expose serving", () -> c.out().contains("serving;") || c.code.isDone());
        assertTrue(c.out().contains("serving;"), c.out() + c.err);
        return c;
    }

    /** A port free a moment ago, not {@code taken} (the address must change). */
    private static int freePortOtherThan(int taken) throws Exception {
        while (true) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                if (s.getLocalPort() != taken) {
                    return s.getLocalPort();
                }
            }
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private JsonNode call(ObjectNode req) {
        JsonNode answer = js.call(req, CALL_TIMEOUT);
        assertTrue(answer.path("ok").asBoolean(), answer.toString());
        return answer;
    }

    private GatewayServer gateway(String name, int bootstrapNode, String dht) throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("bootstrap", nodeAddrs.get(bootstrapNode));
        params.put("dht", dht);
        params.put("allow-private-addresses", "true");
        params.put("dial-timeout", "3s");
        params.put("max-cache-ttl", "1h"); // an update must come over pubsub, not by the cache running out
        return keep(GatewayServer.start(dir.resolve(name), new IpnsLinkFilter(), params));
    }

    private static HttpResponse<String> get(GatewayServer gw, IpnsName name, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(gw.base().resolve("/ipns/" + name + path))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpServer origin(String text) throws Exception {
        HttpServer o = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        o.createContext("/", ex -> {
            byte[] b = (text + " " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        o.start();
        keep(() -> o.stop(0));
        return o;
    }

    private static IpnsRecord record(GatewayServer gw, IpnsName name) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(gw.base().resolve("/routing/v1/ipns/" + name))
                .header("Accept", "application/vnd.ipfs.ipns-record").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        return IpnsRecord.parse(r.body());
    }

    @Test
    void exposeWithOnlyBootstrapIsResolvedByHeliaAndServedByGatewaysThroughTheDhtAndPubsub() throws Exception {
        js = keep(NodeScript.start("ipfs-node.mjs", "network", "--nodes", "10", "--timeout", "400"));
        for (JsonNode n : js.awaitEvent("listening", EVENT_TIMEOUT).path("nodes")) {
            nodeAddrs.add(n.path("addrs").get(0).asText());
        }
        assertEquals(10, nodeAddrs.size());
        HttpServer first = origin("first origin");

        IpnsName name = IpnsName.parse(JSON.readTree(run("key", "gen", "blog", "--json").out()).path("id").asText());
        // the js nodes are in the name's topic, as IPFS nodes resolving it over pubsub are
        call(JSON.createObjectNode().put("op", "follow").put("key",
                java.util.HexFormat.of().formatHex(name.routingKey())));
        Cli exposer = expose(first.getAddress().getPort(), 0);

        // status: where the last publish went, and the one peer id of tunnel, pubsub and DHT
        JsonNode status = JSON.readTree(run("status", "--json").out());
        JsonNode last = status.path("sites").get(0).path("lastPublish");
        assertTrue(last.path("dht").path("peers").asInt() >= 5, status.toString());
        assertTrue(last.path("pubsub").path("peers").asInt() >= 1, status.toString());
        assertEquals(0, last.path("routers").size());
        String peer = status.path("peer").asText();

        // (a) Helia, whose only router is the js DHT, resolves the name to our record and manifest
        JsonNode helia = call(JSON.createObjectNode().put("op", "resolve").put("name", name.peerId().toBase36()));
        assertEquals(last.path("sequence").asText(), helia.path("sequence").asText());

        // (b) a gateway with only 'bootstrap' (no routing endpoint) serves the page through the tunnel
        GatewayServer a = gateway("gw-a", 3, "client");
        HttpResponse<String> page = get(a, name, "/index.html");
        assertEquals(200, page.statusCode(), page.body());
        assertEquals("first origin /index.html", page.body());
        IpnsRecord held = record(a, name);
        assertEquals(helia.path("value").asText(), held.value(), "Helia's value is our record's");
        Manifest manifest = Manifest.fromRecord(held).orElseThrow();
        assertEquals(peer, manifest.peer().toString(), "the manifest names the exposer's one peer");
        assertEquals(status.path("announced").toString(), JSON.valueToTree(manifest.addresses().stream()
                .map(Multiaddr::toString).toList()).toString());
        P2pRoutes routesA = (P2pRoutes) a.contextAttribute(P2pRoutes.ATTRIBUTE);
        Host hostA = a.filter().host().orElseThrow();
        assertTrue(routesA.node().host() == hostA, "pubsub and the DHT run on the gateway's own host");
        assertTrue(routesA.node().follows(name), "the gateway follows the name it served");

        // (c) a gateway with dht=off (pubsub only) serves it too
        GatewayServer b = gateway("gw-b", 7, "off");
        assertTrue(((P2pRoutes) b.contextAttribute(P2pRoutes.ATTRIBUTE)).node().dht().isEmpty());
        HttpResponse<String> pageB = get(b, name, "/b");
        assertEquals(200, pageB.statusCode(), pageB.body());
        assertEquals("first origin /b", pageB.body());

        // (d) the exposer comes back on another port with another origin: the new record reaches
        // gateway a over pubsub within 1 s of the publish, and a serves the new address at once
        long firstSequence = Long.parseUnsignedLong(last.path("sequence").asText());
        LinkedBlockingQueue<IpnsRecord> updates = new LinkedBlockingQueue<>();
        long[] arrived = new long[1];
        routesA.updateListener(r -> {
            if (Long.compareUnsigned(r.sequence(), firstSequence) > 0 && arrived[0] == 0) {
                arrived[0] = System.nanoTime();
            }
            updates.add(r);
        });
        exposer.stop();
        HttpServer second = origin("second origin");
        int oldPort = Multiaddr.parse(status.path("listen").get(0).asText()).toTcpSocketAddress().orElseThrow().getPort();
        Cli again = expose(second.getAddress().getPort(), freePortOtherThan(oldPort));
        long published = System.nanoTime(); // seen within 10 ms of the publish returning
        IpnsRecord next = P2pRoutesTest.nextNewerThan(updates, firstSequence);
        assertTrue(next != null, "the newer record over pubsub");
        long lateMs = (arrived[0] - published) / 1_000_000;
        assertTrue(lateMs <= 1000, "arrived " + lateMs + " ms after the publish returned");
        JsonNode status2 = JSON.readTree(run("status", "--json").out());
        assertEquals(status2.path("sites").get(0).path("lastPublish").path("sequence").asText(),
                Long.toUnsignedString(next.sequence()));
        assertNotEquals(status.path("listen").toString(), status2.path("listen").toString(), "another port");
        HttpResponse<String> moved = get(a, name, "/after");
        assertEquals(200, moved.statusCode(), moved.body());
        assertEquals("second origin /after", moved.body(), "the new address at once, not after the cache TTL");
        again.stop();
        assertTrue(Files.notExists(dir.resolve("home/expose.json")));
    }
}
