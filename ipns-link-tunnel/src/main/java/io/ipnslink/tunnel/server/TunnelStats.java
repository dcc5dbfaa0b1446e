package io.ipnslink.tunnel.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counters per site: requests, upgrades, errors by kind, streams (all and open), bytes in and out. */
public final class TunnelStats {
    private final ConcurrentHashMap<String, Site> sites = new ConcurrentHashMap<>();

    /** The counters of the site named {@code name} (all zero for a site not served yet). */
    public Site site(String name) {
        return sites.computeIfAbsent(name, n -> new Site());
    }

    /** A snapshot: site name -> counters. */
    public Map<String, Object> snapshot() {
        Map<String, Object> out = new LinkedHashMap<>();
        sites.forEach((name, s) -> out.put(name, s.snapshot()));
        return out;
    }

    /** Counters of one site. */
    public static final class Site {
        private final AtomicLong requests = new AtomicLong();
        private final AtomicLong upgrades = new AtomicLong();
        private final AtomicLong active = new AtomicLong();
        private final AtomicLong streams = new AtomicLong();
        private final AtomicLong bytesIn = new AtomicLong();
        private final AtomicLong bytesOut = new AtomicLong();
        private final ConcurrentHashMap<String, AtomicLong> errors = new ConcurrentHashMap<>();

        void request() {
            requests.incrementAndGet();
        }

        /** A protocol upgrade (101) relayed: the stream now carries raw bytes. */
        void upgrade() {
            upgrades.incrementAndGet();
        }

        void streamOpened() {
            streams.incrementAndGet();
            active.incrementAndGet();
        }

        void streamClosed() {
            active.decrementAndGet();
        }

        void bytesIn(long n) {
            bytesIn.addAndGet(n);
        }

        void bytesOut(long n) {
            bytesOut.addAndGet(n);
        }

        void error(String kind) {
            errors.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        }

        public long requests() {
            return requests.get();
        }

        /** Protocol upgrades (WebSocket and others) the origin accepted with 101. */
        public long upgrades() {
            return upgrades.get();
        }

        /**
         * Streams accepted so far. A gateway that keeps a stream open between requests (HTTP/1.1
         * keep-alive) sends many requests over one, so this is at most {@link #requests()}.
         */
        public long streams() {
            return streams.get();
        }

        public long activeStreams() {
            return active.get();
        }

        public long errors(String kind) {
            AtomicLong n = errors.get(kind);
            return n == null ? 0 : n.get();
        }

        Map<String, Object> snapshot() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("requests", requests.get());
            m.put("upgrades", upgrades.get());
            m.put("streams", streams.get());
            m.put("activeStreams", active.get());
            m.put("bytesIn", bytesIn.get());
            m.put("bytesOut", bytesOut.get());
            Map<String, Long> e = new LinkedHashMap<>();
            errors.forEach((k, v) -> e.put(k, v.get()));
            m.put("errors", e);
            return m;
        }
    }
}
