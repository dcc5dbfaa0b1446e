package io.ipnslink.filter.usage;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.RequestObserver;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Meters each site's use of this gateway per hour, in memory, and adds it to {@code ipnslink_usage}
 * when {@link #flush} is called (every {@code usage-flush-interval}, and on shutdown).
 *
 * <p><b>What counts</b>: site requests that reached the forward step (the site's name resolved to a
 * valid manifest and the gateway started sending the request to the site: {@link #forwarded}),
 * whatever their outcome. Requests refused before (a gate, no record, an invalid manifest, an
 * offline site) cost the site nothing and are not counted; so a flood of random names never reaches
 * this table. A request counts in the hour in which it ended (UTC).
 *
 * <p><b>Per request</b> (the observer, on the thread that ended the request): one clock read, one
 * map lookup, four {@link LongAdder} additions and one atomic increment in the site's
 * {@link LatencyHistogram}; no lock but when a site is seen for the first time in an hour.
 *
 * <p><b>Bound</b>: at most {@code maxSitesPerHour} sites are metered one by one per hour; the
 * requests of any further site in that hour are added to one row named {@link #OTHER} (their
 * totals stay right, their sites are not told apart), counted by {@link #overflowed}. An hour is
 * kept in memory until it has ended and a flush found nothing new in it, so two hours are held
 * (about 2 KiB per site-hour); while the database does not take the usage, at most
 * {@link #MAX_HOURS_HELD}, the oldest dropped beyond (with a warning).
 *
 * <p><b>Flush</b>: each site-hour's counts since the last successful flush are added to its row
 * (this gateway's own row: {@code gateway} is this gateway's peer id), and the row's p50/p99 are set
 * to the percentiles of everything this process metered in that hour so far (the hour's histogram
 * stays in memory until the hour closes). When the database fails, nothing is marked written: the
 * next flush adds it all. Only one thread flushes at a time (the caller's job).
 */
public final class UsageMeter implements RequestObserver {
    /** The site name of the row that adds up the sites beyond the bound of an hour. */
    public static final String OTHER = "(other)";
    private static final long HOUR_MS = Duration.ofHours(1).toMillis();

    private final Clock clock;
    private final int maxSitesPerHour;
    private final ConcurrentSkipListMap<Long, Hour> hours = new ConcurrentSkipListMap<>();
    private volatile Hour current;
    private final LongAdder overflowed = new LongAdder();
    private final LongAdder droppedHours = new LongAdder();
    /** Most hours held while the database does not take them (two in normal operation). */
    static final int MAX_HOURS_HELD = 48;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UsageMeter.class);

    public UsageMeter(Clock clock, int maxSitesPerHour) {
        if (maxSitesPerHour < 1) {
            throw new IllegalArgumentException("maxSitesPerHour must be at least 1");
        }
        this.clock = clock;
        this.maxSitesPerHour = maxSitesPerHour;
    }

    /**
     * Whether the request reached the forward step: the gateway marks it by the dial's start
     * ({@code IpnsLinkFilter} and the proxy); a first byte or an open stream says so too.
     */
    static boolean forwarded(RequestMeter m) {
        return m.dialStartNanos() != 0 || m.dialedNanos() != 0 || m.firstByteNanos() != 0;
    }

    /**
     * Whether a forwarded request counts as an error of the site: an answer 500-599, or a failure
     * to reach or read the site (not the visitor going away, not a body too large).
     */
    static boolean error(RequestMeter m) {
        String f = m.failure();
        if (f != null && !f.equals("client-gone") && !f.equals("request-too-large")) {
            return true;
        }
        return m.status() >= 500 && m.status() <= 599;
    }

    @Override
    public void ended(RequestMeter m) {
        if (m.kind() != RequestMeter.Kind.SITE) {
            return;
        }
        IpnsName site = m.site();
        if (site == null || !forwarded(m)) {
            return;
        }
        long now = clock.millis();
        Hour h = current;
        if (h == null || now < h.start || now >= h.start + HOUR_MS) {
            h = hour(now);
        }
        h.site(site).count(m);
    }

    private Hour hour(long now) {
        long start = Math.floorDiv(now, HOUR_MS) * HOUR_MS;
        Hour h = hours.get(start);
        if (h == null) {
            h = hours.computeIfAbsent(start, s -> new Hour(s, maxSitesPerHour, overflowed));
            // the database has not taken the usage for a long time: the oldest hour goes
            while (hours.size() > MAX_HOURS_HELD) {
                Map.Entry<Long, Hour> oldest = hours.pollFirstEntry();
                if (oldest != null) {
                    droppedHours.increment();
                    LOG.warn("usage: the usage of the hour starting {} could not be written for {} hours and is"
                            + " dropped", Instant.ofEpochMilli(oldest.getKey()), MAX_HOURS_HELD);
                }
            }
        }
        Hour c = current;
        if (c == null || c.start < start) {
            current = h;
        }
        return h;
    }

    /** Requests added to an {@link #OTHER} row since the start (the bound was reached). */
    public long overflowed() {
        return overflowed.sum();
    }

    /** Hours dropped unwritten because the database did not take them for {@link #MAX_HOURS_HELD} hours. */
    public long droppedHours() {
        return droppedHours.sum();
    }

    /** Sites metered one by one in the hour of {@code at} (tests, status). */
    public int sitesIn(Instant at) {
        Hour h = hours.get(Math.floorDiv(at.toEpochMilli(), HOUR_MS) * HOUR_MS);
        return h == null ? 0 : h.sites.size();
    }

    /** Hours held in memory (tests). */
    int hoursHeld() {
        return hours.size();
    }

    /**
     * Bytes in and out metered but not yet written, per site, of the hours in {@code [from, to)}
     * (the {@link #OTHER} row left out). Call on the flushing thread.
     */
    Map<String, Long> unflushedVolumes(Instant from, Instant to) {
        Map<String, Long> out = new HashMap<>();
        for (Hour h : hours.subMap(from.toEpochMilli(), true, to.toEpochMilli(), false).values()) {
            for (SiteHour s : h.sites.values()) {
                long v = s.bytesIn.sum() - s.flushedIn + s.bytesOut.sum() - s.flushedOut;
                if (v > 0) {
                    out.merge(s.name, v, Long::sum);
                }
            }
        }
        return out;
    }

    /**
     * Adds what was metered since the last successful flush to the table, as {@code gateway}'s rows;
     * then forgets hours that have ended and had nothing new. Call from one thread at a time.
     *
     * @return the rows written
     * @throws SQLException when the database failed (nothing is marked written; the next flush retries it)
     */
    int flush(UsageTables tables, String gateway) throws SQLException {
        long now = clock.millis();
        List<UsageTables.Delta> deltas = new ArrayList<>();
        List<Runnable> marks = new ArrayList<>();
        List<Hour> quiet = new ArrayList<>();
        for (Hour h : hours.values()) {
            int before = deltas.size();
            for (SiteHour s : h.all()) {
                s.collect(h.start, deltas, marks);
            }
            if (deltas.size() == before && h.start + HOUR_MS <= now) {
                quiet.add(h);
            }
        }
        tables.add(gateway, deltas);
        marks.forEach(Runnable::run);
        for (Hour h : quiet) {
            hours.remove(h.start, h);
        }
        return deltas.size();
    }

    /** One hour's sites. */
    private static final class Hour {
        final long start;
        final int max;
        final LongAdder overflowed;
        final ConcurrentHashMap<IpnsName, SiteHour> sites = new ConcurrentHashMap<>();
        private volatile SiteHour other;

        Hour(long start, int max, LongAdder overflowed) {
            this.start = start;
            this.max = max;
            this.overflowed = overflowed;
        }

        SiteHour site(IpnsName name) {
            SiteHour s = sites.get(name);
            if (s != null) {
                return s;
            }
            synchronized (this) {
                s = sites.get(name);
                if (s != null) {
                    return s;
                }
                if (sites.size() < max) {
                    s = new SiteHour(name.toString());
                    sites.put(name, s);
                    return s;
                }
                if (other == null) {
                    other = new SiteHour(OTHER);
                }
                overflowed.increment();
                return other;
            }
        }

        List<SiteHour> all() {
            List<SiteHour> all = new ArrayList<>(sites.values());
            SiteHour o = other;
            if (o != null) {
                all.add(o);
            }
            return all;
        }
    }

    /** One site in one hour; the {@code flushed} fields are read and written by the flushing thread only. */
    private static final class SiteHour {
        final String name;
        final LongAdder requests = new LongAdder();
        final LongAdder bytesIn = new LongAdder();
        final LongAdder bytesOut = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LatencyHistogram upstream = new LatencyHistogram();
        long flushedRequests;
        long flushedIn;
        long flushedOut;
        long flushedErrors;

        SiteHour(String name) {
            this.name = name;
        }

        void count(RequestMeter m) {
            requests.increment();
            long in = m.bytesIn();
            if (in > 0) {
                bytesIn.add(in);
            }
            long out = m.bytesOut();
            if (out > 0) {
                bytesOut.add(out);
            }
            if (error(m)) {
                errors.increment();
            }
            long up = m.upstreamNanos();
            if (up > 0) {
                upstream.record(up);
            }
        }

        void collect(long hourStart, List<UsageTables.Delta> deltas, List<Runnable> marks) {
            long r = requests.sum();
            long in = bytesIn.sum();
            long out = bytesOut.sum();
            long e = errors.sum();
            if (r == flushedRequests && in == flushedIn && out == flushedOut && e == flushedErrors) {
                return;
            }
            deltas.add(new UsageTables.Delta(name, Instant.ofEpochMilli(hourStart), r - flushedRequests, in - flushedIn,
                    out - flushedOut, e - flushedErrors, upstream.percentileMillis(0.5), upstream.percentileMillis(0.99)));
            marks.add(() -> {
                flushedRequests = r;
                flushedIn = in;
                flushedOut = out;
                flushedErrors = e;
            });
        }
    }
}
