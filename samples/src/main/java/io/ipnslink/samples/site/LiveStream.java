package io.ipnslink.samples.site;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sample site's livestream: an HLS-style stream of small SVG frames (a browser shows them
 * without a video codec). Every {@code period} it writes the next segment {@code seg-N.svg} and
 * rewrites the playlist {@code live.m3u8} ({@code #EXTM3U}, {@code #EXT-X-MEDIA-SEQUENCE},
 * {@code #EXT-X-TARGETDURATION}, the last {@value #PLAYLIST_SEGMENTS} segments); segments older than
 * {@value #KEPT_SEGMENTS} are deleted, so the directory stays small. Each file is written to a
 * {@code .tmp} name and renamed into place, so a directory watcher never imports half a file.
 * The directory is served from IPFS by the gateway (the manifest's stream prefix), never by the origin.
 */
public final class LiveStream implements AutoCloseable {
    /** Segments named in the playlist. */
    public static final int PLAYLIST_SEGMENTS = 4;
    /** Segments kept on disk (older ones are deleted). */
    public static final int KEPT_SEGMENTS = 8;
    /** The playlist's file name. */
    public static final String PLAYLIST = "live.m3u8";

    private static final Logger log = LoggerFactory.getLogger(LiveStream.class);

    private final Path dir;
    private final Duration period;
    private final Clock clock;
    private final AtomicLong next = new AtomicLong();
    private final ScheduledExecutorService timer;

    private LiveStream(Path dir, Duration period, Clock clock) {
        this.dir = dir;
        this.period = period;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ipns-link-live-stream");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Writes segment 0 and the playlist into {@code dir} (made if missing) at once, then a new
     * segment every {@code period}.
     */
    public static LiveStream start(Path dir, Duration period) throws IOException {
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period must be positive, got " + period);
        }
        Files.createDirectories(dir);
        LiveStream s = new LiveStream(dir, period, Clock.systemUTC());
        s.step();
        s.timer.scheduleAtFixedRate(s::tick, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        return s;
    }

    /** A stream that writes only when {@link #step} is called (tests: no timer, a fixed clock). */
    static LiveStream unstarted(Path dir, Duration period, Clock clock) throws IOException {
        Files.createDirectories(dir);
        return new LiveStream(dir, period, clock);
    }

    public Path dir() {
        return dir;
    }

    /** The number of the newest segment written. */
    public long newest() {
        return next.get() - 1;
    }

    private void tick() {
        try {
            step();
        } catch (IOException | RuntimeException e) {
            log.warn("live stream: cannot write segment {} in {}: {}", next.get(), dir, e.toString());
        }
    }

    /** Writes the next segment and the playlist, deletes the segment that fell out of the window. */
    synchronized void step() throws IOException {
        long n = next.get();
        write("seg-" + n + ".svg", frame(n));
        next.set(n + 1);
        long first = Math.max(0, n - PLAYLIST_SEGMENTS + 1);
        write(PLAYLIST, playlist(first, n));
        long old = n - KEPT_SEGMENTS;
        if (old >= 0) {
            Files.deleteIfExists(dir.resolve("seg-" + old + ".svg"));
        }
    }

    private String playlist(long first, long last) {
        StringBuilder sb = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n");
        long seconds = Math.max(1, (period.toMillis() + 999) / 1000);
        sb.append("#EXT-X-TARGETDURATION:").append(seconds).append('\n');
        sb.append("#EXT-X-MEDIA-SEQUENCE:").append(first).append('\n');
        String duration = String.format(java.util.Locale.ROOT, "%.3f", period.toMillis() / 1000.0);
        for (long i = first; i <= last; i++) {
            sb.append("#EXTINF:").append(duration).append(",\nseg-").append(i).append(".svg\n");
        }
        return sb.toString();
    }

    private String frame(long n) {
        String time = LocalTime.now(clock.withZone(ZoneOffset.UTC)).withNano(0).toString();
        int hue = (int) (n * 37 % 360);
        return """
                <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180" width="320" height="180">
                <rect width="320" height="180" fill="hsl(%d,55%%,22%%)"/>
                <circle cx="%d" cy="150" r="10" fill="#65c2cb"/>
                <text x="160" y="90" font-family="sans-serif" font-size="48" fill="#fff" text-anchor="middle">#%d</text>
                <text x="160" y="125" font-family="sans-serif" font-size="18" fill="#cde" text-anchor="middle">%s UTC</text>
                </svg>
                """.formatted(hue, 20 + (int) (n % 15) * 20, n, time);
    }

    private void write(String name, String text) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Stops writing; the files stay. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
