package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamRegistryTest {
    @TempDir
    Path dir;

    static IpnsName name() {
        return IpnsName.of(PrivKey.generateEd25519().peerId());
    }

    static StreamRegistry.Registration reg(IpnsName site, String prefix, long pid) {
        return new StreamRegistry.Registration("blog", site.toString(), prefix, name().toString(), pid, "/tmp/hls");
    }

    @Test
    void registrationsOfLiveProcessesAreListedAndRemovedByTheirOwner() {
        StreamRegistry r = new StreamRegistry(dir.resolve("streams"));
        assertEquals(List.of(), r.live(), "no directory yet");
        IpnsName site = name();
        long me = ProcessHandle.current().pid();
        StreamRegistry.Registration a = reg(site, "/live", me);
        r.register(a);
        assertEquals(List.of(a), r.live());
        r.unregister(site, "/live", me + 1); // not its owner
        assertEquals(1, r.live().size());
        r.unregister(site, "/live", me);
        assertEquals(List.of(), r.live());
    }

    @Test
    void aDeadProcessesRegistrationIsIgnoredAndALiveOnesRefusesASecond() throws Exception {
        StreamRegistry r = new StreamRegistry(dir.resolve("streams"));
        IpnsName site = name();
        Process done = new ProcessBuilder("true").start();
        assertTrue(done.waitFor(30, TimeUnit.SECONDS));
        r.register(reg(site, "/live", done.pid()));
        assertEquals(List.of(), r.live(), "its process is gone");
        r.register(reg(site, "/live", ProcessHandle.current().pid())); // takes over the stale one

        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            IpnsName site2 = name();
            r.register(reg(site2, "/tv", other.pid()));
            ExposerException e = assertThrows(ExposerException.class,
                    () -> r.register(reg(site2, "/tv", ProcessHandle.current().pid())));
            assertTrue(e.getMessage().contains("already runs /tv"), e.getMessage());
            assertEquals(2, r.live().size());
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void malformedOversizedAndLinkedFilesAreSkipped() throws Exception {
        Path d = Files.createDirectories(dir.resolve("streams"));
        StreamRegistry r = new StreamRegistry(d);
        Files.writeString(d.resolve("junk.json"), "{not json");
        Files.writeString(d.resolve("big.json"), "{\"site\": \"" + "x".repeat(StreamRegistry.MAX_FILE_BYTES) + "\"}");
        Files.writeString(d.resolve("badprefix.json"), "{\"siteName\": \"" + name() + "\", \"prefix\": \"live\", \"name\": \""
                + name() + "\", \"pid\": " + ProcessHandle.current().pid() + "}");
        Path target = Files.writeString(dir.resolve("elsewhere.json"), "{\"siteName\": \"" + name() + "\", \"prefix\": \"/x\","
                + " \"name\": \"" + name() + "\", \"pid\": " + ProcessHandle.current().pid() + "}");
        Files.createSymbolicLink(d.resolve("link.json"), target);
        assertEquals(List.of(), r.live());
    }

    @Test
    void prefixRulesAndStreamKeyNames() {
        for (String ok : List.of("/", "/live", "/media/live", "/a-b_c.d", "/ünï")) {
            assertEquals(ok, PathPrefixes.check(ok));
        }
        for (String bad : List.of("", "live", "/live/", "//", "/a//b", "/a/./b", "/a/..", "/a b", "/a?b", "/a#b",
                "/a%20b", "/a\\b", "/a\u0001", "/" + "x".repeat(256))) {
            assertThrows(ExposerException.class, () -> PathPrefixes.check(bad), bad);
        }
        assertTrue(PathPrefixes.covers("/live", "/live"));
        assertTrue(PathPrefixes.covers("/live", "/live/seg1.ts"));
        assertTrue(!PathPrefixes.covers("/live", "/lively"));
        assertTrue(PathPrefixes.covers("/", "/anything"));
        assertEquals("blog-stream-live", PathPrefixes.streamKeyName("blog", "/live"));
        assertEquals("blog-stream-media-live", PathPrefixes.streamKeyName("blog", "/media/live"));
        assertEquals("blog-stream-root", PathPrefixes.streamKeyName("blog", "/"));
    }
}
