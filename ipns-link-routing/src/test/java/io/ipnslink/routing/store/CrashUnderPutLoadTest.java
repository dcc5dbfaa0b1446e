package io.ipnslink.routing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.TestRecords;
import io.ipnslink.routing.TestRecords.Identity;
import io.ipnslink.routing.TomcatServer;
import io.ipnslink.routing.server.RoutingV1Servlet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A routing v1 endpoint killed with SIGKILL while clients PUT records at it loses no record it
 * acknowledged: a child process serves {@code PUT /routing/v1/ipns/{name}} (the servlet the gateway
 * mounts) over the embedded H2 file store; writers raise the sequence of their names as fast as
 * they are acknowledged; after {@link #ACKS_BEFORE_KILL} acknowledgements (an event, not a time)
 * the process is killed while PUTs are still on the wire. The store, opened again, holds for every
 * name at least the last sequence the endpoint answered 200 to.
 */
class CrashUnderPutLoadTest {
    /** Acknowledged PUTs before the kill. */
    static final int ACKS_BEFORE_KILL = 300;
    /** Concurrent writers, each with its own names. */
    static final int WRITERS = 8;
    /** Names per writer (each PUT goes to the next one, round robin). */
    static final int NAMES_PER_WRITER = 4;

    @TempDir
    Path dir;

    @Test
    void noAcknowledgedPutIsLostWhenTheEndpointIsKilledUnderLoad() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                Endpoint.class.getName(), dir.resolve("store").toString(), dir.resolve("tomcat").toString()))
                .redirectErrorStream(true).start();
        List<Identity> ids = new ArrayList<>();
        for (int i = 0; i < WRITERS * NAMES_PER_WRITER; i++) {
            ids.add(TestRecords.newIdentity());
        }
        Map<IpnsName, Long> acknowledged = new ConcurrentHashMap<>();
        AtomicInteger acks = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        CountDownLatch enough = new CountDownLatch(1);
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        StringBuilder childOut = new StringBuilder();
        try (BufferedReader rd = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            URI base = awaitPort(rd, childOut);
            Thread drain = new Thread(() -> drainInto(rd, childOut), "child-output");
            drain.setDaemon(true);
            drain.start();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            Instant validity = Instant.now().plus(Duration.ofDays(1));
            for (int w = 0; w < WRITERS; w++) {
                List<Identity> mine = ids.subList(w * NAMES_PER_WRITER, (w + 1) * NAMES_PER_WRITER);
                writers.execute(() -> {
                    for (long seq = 1; !killed.get(); seq++) {
                        for (Identity id : mine) {
                            if (killed.get()) {
                                return;
                            }
                            IpnsRecord r = id.record(seq, validity);
                            HttpRequest put = HttpRequest.newBuilder(base.resolve("/routing/v1/ipns/" + id.name()))
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/vnd.ipfs.ipns-record")
                                    .PUT(HttpRequest.BodyPublishers.ofByteArray(r.raw())).build();
                            try {
                                HttpResponse<String> res = http.send(put, HttpResponse.BodyHandlers.ofString());
                                if (res.statusCode() == 200) {
                                    acknowledged.merge(id.name(), seq, Math::max);
                                    if (acks.incrementAndGet() >= ACKS_BEFORE_KILL) {
                                        enough.countDown();
                                    }
                                } else {
                                    refused.incrementAndGet();
                                }
                            } catch (IOException e) {
                                // the endpoint died with this PUT on the wire: never acknowledged
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return;
                            }
                        }
                    }
                });
            }
            assertTrue(enough.await(120, TimeUnit.SECONDS),
                    "only " + acks.get() + " PUTs acknowledged; child said:\n" + childOut);
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no flush
            killed.set(true);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "endpoint did not die");
            writers.shutdown();
            assertTrue(writers.awaitTermination(60, TimeUnit.SECONDS), "writers did not stop");
        } finally {
            writers.shutdownNow();
            p.destroyForcibly();
        }
        assertEquals(0, refused.get(), "PUTs refused before the kill; child said:\n" + childOut);
        assertFalse(acknowledged.isEmpty());

        try (JdbcRecordStore store = JdbcRecordStore.h2File(dir.resolve("store"))) {
            for (Map.Entry<IpnsName, Long> e : acknowledged.entrySet()) {
                long kept = store.get(e.getKey()).orElseThrow(() -> new AssertionError("lost every record of " + e.getKey()))
                        .record().sequence();
                assertTrue(kept >= e.getValue(), e.getKey() + ": acknowledged sequence " + e.getValue()
                        + " but the store kept " + kept);
            }
        }
    }

    private static URI awaitPort(BufferedReader rd, StringBuilder out) throws IOException {
        for (String line; (line = rd.readLine()) != null; ) {
            out.append(line).append('\n');
            if (line.startsWith(Endpoint.READY)) {
                return URI.create(line.substring(Endpoint.READY.length()).trim());
            }
        }
        throw new AssertionError("endpoint exited before listening:\n" + out);
    }

    private static void drainInto(BufferedReader rd, StringBuilder out) {
        try {
            for (String line; (line = rd.readLine()) != null; ) {
                synchronized (out) {
                    if (out.length() < 64 * 1024) {
                        out.append(line).append('\n');
                    }
                }
            }
        } catch (IOException ignored) {
            // the child is gone
        }
    }

    /** Child process: the routing endpoint over the H2 file store, until killed. */
    public static final class Endpoint {
        static final String READY = "listening ";

        public static void main(String[] args) throws Exception {
            JdbcRecordStore store = JdbcRecordStore.h2File(Path.of(args[0]));
            RoutingV1Servlet servlet = new RoutingV1Servlet(store,
                    RoutingV1Servlet.Settings.defaults().withPutRate(1_000_000, 1_000_000));
            TomcatServer server = new TomcatServer(Path.of(args[1])).mount("/routing/v1/*", servlet).start();
            System.out.println(READY + server.baseUri());
            System.out.flush();
            Thread.currentThread().join(); // until SIGKILL
        }
    }
}
