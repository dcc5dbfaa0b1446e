package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.core.unixfs.UnixFsImporter;
import io.ipnslink.routing.client.RoutingV1Client;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveStreamTest {
    private static final Duration POLL = Duration.ofMillis(20);

    @TempDir
    Path dir;

    static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    Publisher publisher(RoutingV1Client client) {
        return new Publisher(client, new SequenceStore(dir.resolve("state")),
                Publisher.Settings.defaults().withRetries(1, Duration.ofMillis(10)), Clock.systemUTC());
    }

    String root(Path d) throws Exception {
        return new UnixFsImporter(new MemoryBlockStore(Long.MAX_VALUE), ImportOptions.defaults()).importPath(d).root().toString();
    }

    @Test
    void publishesTheRootAtStartAndEachNewRootWithTtlOneSecond() throws Exception {
        Path hls = Files.createDirectories(dir.resolve("hls"));
        Files.writeString(hls.resolve("index.m3u8"), "#EXTM3U\n");
        PrivKey key = PrivKey.generateEd25519();
        List<Publisher.Result> seen = new CopyOnWriteArrayList<>();
        try (TestRouter router = new TestRouter(dir.resolve("router"));
                RoutingV1Client client = new RoutingV1Client();
                LiveStream s = LiveStream.start("/live", key, hls, new MemoryBlockStore(Long.MAX_VALUE),
                        ImportOptions.defaults(), POLL, new LiveStream.Target(publisher(client), List.of(router.uri())),
                        seen::add)) {
            assertEquals(io.ipnslink.core.ipns.IpnsName.of(key.peerId()), s.name());
            IpnsRecord first = client.getIpns(router.uri(), s.name()).orElseThrow();
            assertEquals("/ipfs/" + root(hls), first.value());
            assertEquals(Duration.ofSeconds(1), first.ttl());
            assertEquals(1, s.publishCount());
            assertNull(s.lastError());
            for (int i = 0; i < 3; i++) {
                Files.writeString(hls.resolve("seg" + i + ".ts"), "segment " + i);
                String want = "/ipfs/" + root(hls);
                await(() -> value(client, router, s).map(want::equals).orElse(false), "record " + want);
            }
            assertEquals(root(hls), s.publishedRoot().toString());
            assertTrue(s.publishCount() >= 4, "one per new root: " + s.publishCount());
            assertEquals(s.publishCount(), seen.size());
            s.close();
            long after = s.publishCount();
            Files.writeString(hls.resolve("late.ts"), "after close");
            Thread.sleep(POLL.toMillis() * 10);
            assertEquals(after, s.publishCount(), "nothing after close");
        }
    }

    private static Optional<String> value(RoutingV1Client client, TestRouter router, LiveStream s) {
        try {
            return client.getIpns(router.uri(), s.name()).map(IpnsRecord::value);
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    @Test
    void aRefusedPublishIsReportedAndRetried() throws Exception {
        Path hls = Files.createDirectories(dir.resolve("hls"));
        Files.writeString(hls.resolve("index.m3u8"), "#EXTM3U\n");
        try (StubRouter router = new StubRouter(503, "busy");
                RoutingV1Client client = new RoutingV1Client();
                LiveStream s = LiveStream.start("/live", PrivKey.generateEd25519(), hls, new MemoryBlockStore(Long.MAX_VALUE),
                        ImportOptions.defaults(), POLL, new LiveStream.Target(publisher(client), List.of(router.uri())),
                        null)) {
            assertNotNull(s.lastError(), "the first publish failed");
            assertEquals(0, s.publishCount());
            int asked = router.requests.get();
            await(() -> router.requests.get() > asked, "a retry");
            assertNull(s.publishedRoot());
        }
    }
}
