package io.ipnslink.samples.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The livestream generator: playlist format, the window of segments, the bound on disk, no .tmp left. */
class LiveStreamTest {
    @TempDir
    Path dir;

    @Test
    void playlistNamesTheLastSegmentsAndOldOnesAreDeleted() throws Exception {
        LiveStream s = LiveStream.unstarted(dir, Duration.ofSeconds(1),
                Clock.fixed(Instant.parse("2026-12-05T12:00:00Z"), ZoneOffset.UTC));
        s.step();
        assertEquals(0, s.newest());
        assertEquals("""
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-TARGETDURATION:1
                #EXT-X-MEDIA-SEQUENCE:0
                #EXTINF:1.000,
                seg-0.svg
                """, Files.readString(dir.resolve(LiveStream.PLAYLIST)));
        String frame = Files.readString(dir.resolve("seg-0.svg"));
        assertTrue(frame.startsWith("<svg") && frame.contains(">#0<") && frame.contains("12:00 UTC"), frame);
        for (int i = 1; i < 20; i++) {
            s.step();
        }
        assertEquals(19, s.newest());
        List<String> lines = Files.readAllLines(dir.resolve(LiveStream.PLAYLIST));
        assertTrue(lines.contains("#EXT-X-MEDIA-SEQUENCE:" + (20 - LiveStream.PLAYLIST_SEGMENTS)), lines.toString());
        assertEquals(List.of("seg-16.svg", "seg-17.svg", "seg-18.svg", "seg-19.svg"),
                lines.stream().filter(l -> l.startsWith("seg-")).toList());
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(LiveStream.KEPT_SEGMENTS + 1, names.size(), names.toString()); // segments + playlist
            assertFalse(names.stream().anyMatch(n -> n.endsWith(".tmp")), names.toString());
            assertFalse(names.contains("seg-11.svg"), names.toString());
            assertTrue(names.contains("seg-12.svg"), names.toString());
        }
    }

    @Test
    void aPeriodMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> LiveStream.start(dir, Duration.ZERO));
    }
}
