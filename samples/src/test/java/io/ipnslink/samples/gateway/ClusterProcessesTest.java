package io.ipnslink.samples.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.routing.testing.PostgresServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code ipns-link gateway} processes (separate JVMs, data directories and libp2p
 * identities) sharing one PostgreSQL database: a PUT at one is served by the others within a
 * second although they had cached the old record for half an hour; a gateway killed
 * ({@code destroyForcibly}) right after acknowledging PUTs loses none of them, and the other two
 * keep serving and keep telling each other.
 */
class ClusterProcessesTest {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Pattern STARTED = Pattern.compile("IPNS-Link gateway on (http://127\\.0\\.0\\.1:\\d+)/");
    static final Pattern PEER = Pattern.compile("\"peerId\"\\s*:\\s*\"([^\"]+)\"");
    static final Duration LONG_TTL = Duration.ofMinutes(30);

    @TempDir
    Path dir;
    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** Starts a gateway process; completes with its base URL once it printed it. */
    CompletableFuture<URI> start(int i, String url) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                GatewayMain.class.getName(), "--port", "0", "--data", dir.resolve("data" + i).toString(),
                "--set", "store=" + url, "--set", "store-user=" + PostgresServer.USER,
                "--set", "cluster-heartbeat=1s", "--set", "store-pool-size=4"))
                .redirectErrorStream(true).start();
        processes.add(p);
        CompletableFuture<URI> base = new CompletableFuture<>();
        Path log = dir.resolve("gateway" + i + ".log");
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    PrintWriter w = new PrintWriter(Files.newBufferedWriter(log), true)) {
                for (String line; (line = r.readLine()) != null; ) {
                    w.println(line);
                    Matcher m = STARTED.matcher(line);
                    if (m.find()) {
                        base.complete(URI.create(m.group(1) + "/"));
                    }
                }
            } catch (Exception e) {
                base.completeExceptionally(e);
            }
            base.completeExceptionally(new IllegalStateException("gateway " + i + " ended before it started; see "
                    + log));
        }, "gateway-" + i + "-output");
        reader.setDaemon(true);
        reader.start();
        return base;
    }

    static int put(URI base, Sites.Site site, IpnsRecord record) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(base.resolve(RoutingV1.IPNS_PATH.substring(1) + site.name()))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE).timeout(Duration.ofSeconds(20))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    static byte[] resolved(URI base, Sites.Site site) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(base.resolve("ipns/" + site.name()
                + "?format=ipns-record")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
        return r.statusCode() == 200 ? r.body() : new byte[0];
    }

    static String peer(URI base) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve("status"))
                .header("Accept", "application/json").timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = PEER.matcher(r.body());
        assertTrue(m.find(), "status names the peer: " + r.body());
        return m.group(1);
    }

    static IpnsRecord record(Sites.Site site, long seq) {
        return Sites.record(site, Sites.deadManifest(null, false), seq, Duration.ofHours(2), LONG_TTL);
    }

    /** Asserts that each of {@code bases} serves {@code expected} before {@code deadlineNanos}. */
    static void servedBy(List<URI> bases, Sites.Site site, IpnsRecord expected, long deadlineNanos, String what)
            throws Exception {
        for (URI b : bases) {
            byte[] got = resolved(b, site);
            while (!Arrays.equals(expected.raw(), got) && System.nanoTime() < deadlineNanos) {
                Thread.sleep(10);
                got = resolved(b, site);
            }
            assertArrayEquals(expected.raw(), got, b + ": " + what);
        }
    }

    @Test
    void threeGatewayProcessesOnOnePostgresServeEachOthersPutsAndSurviveAKill() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        String url = pg.jdbcUrl(pg.newDatabase("processes"));
        List<CompletableFuture<URI>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            starting.add(start(i, url));
        }
        List<URI> bases = new ArrayList<>();
        for (CompletableFuture<URI> s : starting) {
            bases.add(s.get(120, TimeUnit.SECONDS));
        }
        Set<String> peers = new HashSet<>();
        for (URI b : bases) {
            peers.add(peer(b));
        }
        assertEquals(3, peers.size(), "each gateway keeps its own libp2p identity");

        // a PUT at one gateway, served by all three within a second of its acknowledgement
        Sites.Site site = Sites.Site.generate();
        IpnsRecord first = record(site, 1);
        assertEquals(200, put(bases.get(0), site, first));
        servedBy(bases, site, first, System.nanoTime(), "resolves (and caches) the first record");
        IpnsRecord second = record(site, 2);
        assertEquals(200, put(bases.get(1), site, second));
        servedBy(bases, site, second, System.nanoTime() + Duration.ofSeconds(1).toNanos(),
                "serves the new record within 1 s (its cached one had 30 min left: only the notice explains it)");

        // acknowledged PUTs at gateway 3, killed at once after the last acknowledgement
        List<Sites.Site> sites = new ArrayList<>();
        List<IpnsRecord> records = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Sites.Site s = Sites.Site.generate();
            IpnsRecord r = record(s, 7);
            assertEquals(200, put(bases.get(2), s, r));
            sites.add(s);
            records.add(r);
        }
        IpnsRecord third = record(site, 3);
        assertEquals(200, put(bases.get(2), site, third));
        processes.get(2).destroyForcibly();
        assertTrue(processes.get(2).waitFor(20, TimeUnit.SECONDS));
        List<URI> survivors = bases.subList(0, 2);
        for (int i = 0; i < sites.size(); i++) {
            servedBy(survivors, sites.get(i), records.get(i), System.nanoTime(), "serves a record acknowledged by the"
                    + " killed gateway");
        }
        servedBy(survivors, site, third, System.nanoTime() + Duration.ofSeconds(1).toNanos(),
                "serves the record the killed gateway acknowledged last");

        // the two others keep serving and keep telling each other
        IpnsRecord fourth = record(site, 4);
        assertEquals(200, put(survivors.get(0), site, fourth));
        servedBy(survivors, site, fourth, System.nanoTime() + Duration.ofSeconds(1).toNanos(),
                "serves a PUT made after the kill within 1 s");
    }
}
