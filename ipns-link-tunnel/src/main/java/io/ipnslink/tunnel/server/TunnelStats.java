package io.ipnslink.tunnel.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters per site: requests, upgrades, errors by kind, streams (all and open), bytes in and out,
 * answers by status class; and an optional {@link AnswerListener} told of every answer with the
 * origin's latency (the exposer's metrics time them).
 */
public final class TunnelStats {
    private final ConcurrentHashMap<String, Site> sites = new ConcurrentHashMap<>();
    private volatile AnswerListener listener;

    /** Told of every answer the exposer sent a gateway; called on a stream's event loop, must not block. */
    @FunctionalInterface
    public interface AnswerListener {
        /**
         * @param site the site's name
         * @param status the answer's status (the origin's, or the exposer's own 502/504/400)
         * @param originNanos from the request's head to the origin's answer head; -1 for the exposer's own answers
         */
        void answered(String site, int status, long originNanos);
    }

    /** Where answers are told from now on (null: nowhere). */
    public void listener(AnswerListener l) {
        this.listener = l;
    }

    /** The counters of the site named {@code name} (all zero for a site not served yet). */
    public Site site(String name) {
        return sites.computeIfAbsent(name, n -> new Site(this, n));
    }

    /** The sites with counters (those served at least once), by name. */
    public java.util.Set<String> siteNames() {
        return java.util.Collections.unmodifiableSet(sites.keySet());
    }

    /** A snapshot: site name -> counters. */
    public Map<String, Object> snapshot() {
        Map<String, Object> out = new LinkedHashMap<>();
        sites.forEach((name, s) -> out.put(name, s.snapshot()));
        return out;
    }

    /** Counters of one site. */
    public static final class Site {
        private final TunnelStats parent;
        private final String name;
        /** Answers by status class: index {@code status / 100} (1xx to 5xx). */
        private final AtomicLong[] answers = {new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong(),
            new AtomicLong(), new AtomicLong()};
        private final AtomicLong requests = new AtomicLong();
        private final AtomicLong upgrades = new AtomicLong();
        private final AtomicLong active = new AtomicLong();
        private final AtomicLong streams = new AtomicLong();
        private final AtomicLong bytesIn = new AtomicLong();
        private final AtomicLong bytesOut = new AtomicLong();
        private final ConcurrentHashMap<String, AtomicLong> errors = new ConcurrentHashMap<>();

        Site(TunnelStats parent, String name) {
            this.parent = parent;
            this.name = name;
        }

        void request() {
            requests.incrementAndGet();
        }

        /** An answer went to the gateway ({@code originNanos} -1: the exposer's own answer). */
        void answered(int status, long originNanos) {
            int c = status / 100;
            answers[c >= 1 && c <= 5 ? c : 0].incrementAndGet();
            AnswerListener l = parent.listener;
            if (l != null) {
                l.answered(name, status, originNanos);
            }
        }

        /** Answers of status class {@code statusClass} (1 to 5) so far. */
        public long answers(int statusClass) {
            return statusClass >= 1 && statusClass <= 5 ? answers[statusClass].get() : 0;
        }

        /** Request body bytes from gateways (upgraded connections: bytes from the gateway). */
        public long bytesIn() {
            return bytesIn.get();
        }

        /** Answer body bytes to gateways (upgraded connections: bytes to the gateway). */
        public long bytesOut() {
            return bytesOut.get();
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
