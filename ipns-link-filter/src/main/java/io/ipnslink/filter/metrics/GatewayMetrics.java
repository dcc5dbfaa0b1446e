package io.ipnslink.filter.metrics;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.RequestObserver;
import io.ipnslink.filter.pipeline.SiteGate;
import io.ipnslink.filter.pipeline.SiteRequest;
import io.ipnslink.filter.resolve.NameResolver;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's metrics (Micrometer, Prometheus registry) and its readiness: a
 * {@link RequestObserver} counting every answered request by route kind, status class and failure
 * kind, with latency histograms of its phases (resolve, dial, first byte, whole request) and its
 * bytes; a {@link SiteGate} that only counts site requests in progress (it never refuses); gauges
 * read at scrape time (libp2p connections and streams, relay reservations and circuits, resolver
 * cache); store latency through {@link TimedRecordStore}; JVM and process figures from Micrometer's
 * binders. Names, labels and meaning: docs/operations.md.
 *
 * <p>Bounded: the {@code site} label is given to at most {@link MetricsSettings#siteLabels()} sites,
 * the first ones the gateway forwarded a request to (a name that does not exist, or has no
 * manifest, is never forwarded, so a visitor asking for random names adds no series); all other
 * sites are {@code other}. Failure kinds are a fixed set in the gateway, and at most
 * {@link #MAX_FAILURE_KINDS} get their own label all the same. Cheap: counters and timers are looked
 * up in arrays and maps made once, no lock and no allocation per request beyond Micrometer's own.
 *
 * <p>Kept in the servlet context ({@link #ATTRIBUTE}) while the gateway runs, for the servlets of
 * {@code /metrics}, {@code /health} and {@code /ready}.
 */
public final class GatewayMetrics implements RequestObserver, SiteGate, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayMetrics.class);

    /** Servlet context attribute holding the running gateway's {@link GatewayMetrics}. */
    public static final String ATTRIBUTE = GatewayMetrics.class.getName();
    /** Label value of the sites without a label of their own. */
    public static final String OTHER = "other";
    /** Failure kinds with a label of their own; more are {@code other}. */
    public static final int MAX_FAILURE_KINDS = 32;
    /** Label value when a request has no failure (or no status). */
    public static final String NONE = "none";
    /** Histogram buckets of the latency timers: 1 ms to 60 s. */
    static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};
    /** Status class labels by {@code status / 100} (0: no status sent). */
    private static final String[] CLASSES = {NONE, "1xx", "2xx", "3xx", "4xx", "5xx"};
    private static final RequestMeter.Kind[] KINDS = RequestMeter.Kind.values();

    private final PrometheusMeterRegistry registry;
    private final MetricsSettings settings;
    private final Readiness readiness;
    private final JvmGcMetrics gc;
    private volatile boolean running = true;

    /** Requests of one failure label by [route kind][status class]; cells made on first use. */
    private record FailureRow(String label, Counter[][] cells) {
        FailureRow(String label) {
            this(label, new Counter[KINDS.length][CLASSES.length]);
        }
    }

    private final FailureRow requests = new FailureRow(NONE);
    private final ConcurrentHashMap<String, FailureRow> failedRequests = new ConcurrentHashMap<>();
    private final Timer resolve;
    private final Timer dial;
    private final Timer firstByte;
    private final Timer[] whole = new Timer[KINDS.length];
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final Counter upgrades;
    /** Per labelled site; at most {@code siteLabels} entries, then {@link #other}. */
    private final ConcurrentHashMap<IpnsName, SiteMeters> sites = new ConcurrentHashMap<>();
    private final AtomicInteger labelledSites = new AtomicInteger();
    private final SiteMeters other;
    private final AtomicInteger inProgress = new AtomicInteger();
    private final Runnable leave = inProgress::decrementAndGet;
    private final Timer[][] storeTimers = new Timer[TimedRecordStore.Op.values().length][2];

    /** The counters of one site label. */
    private final class SiteMeters {
        final String label;
        final Counter[] byClass = new Counter[CLASSES.length];
        final Counter in;
        final Counter out;

        SiteMeters(String label) {
            this.label = label;
            this.in = Counter.builder("ipnslink.gateway.site.bytes").description("Body bytes of site requests by direction")
                    .baseUnit("bytes").tags("site", label, "direction", "in").register(registry);
            this.out = Counter.builder("ipnslink.gateway.site.bytes").description("Body bytes of site requests by direction")
                    .baseUnit("bytes").tags("site", label, "direction", "out").register(registry);
        }

        Counter byClass(int c) {
            Counter x = byClass[c];
            if (x == null) {
                x = Counter.builder("ipnslink.gateway.site.requests").description("Site requests answered, by site and status class")
                        .tags("site", label, "status", CLASSES[c]).register(registry);
                byClass[c] = x; // a race registers the same counter twice: the registry returns the one
            }
            return x;
        }
    }

    /**
     * @param store the store the gateway uses, wrapped (its timings go to this registry)
     * @param host the libp2p host (gateway mode) or null
     * @param hostMustListen whether listen addresses are configured (readiness)
     */
    public GatewayMetrics(MetricsSettings settings, TimedRecordStore store, NameResolver resolver, Host host,
            boolean hostMustListen, String version, String mode) {
        this.settings = settings;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.readiness = new Readiness(store, host, hostMustListen, settings.readyTimeout(), System::nanoTime);
        resolve = timer("ipnslink.gateway.resolve", "Resolving a site's name to its record (cache hits included)");
        dial = timer("ipnslink.gateway.dial", "From the start of forwarding to an open stream to the site (address checks included)");
        firstByte = timer("ipnslink.gateway.first.byte", "From the request's arrival to the head of the site's answer");
        for (RequestMeter.Kind k : KINDS) {
            whole[k.ordinal()] = Timer.builder("ipnslink.gateway.request")
                    .description("Whole requests, arrival to last byte (upgraded connections not included)")
                    .tags("kind", label(k)).serviceLevelObjectives(BUCKETS).register(registry);
        }
        bytesIn = Counter.builder("ipnslink.gateway.bytes").description("Body bytes forwarded, by direction")
                .baseUnit("bytes").tags("direction", "in").register(registry);
        bytesOut = Counter.builder("ipnslink.gateway.bytes").description("Body bytes forwarded, by direction")
                .baseUnit("bytes").tags("direction", "out").register(registry);
        upgrades = Counter.builder("ipnslink.gateway.upgraded.connections")
                .description("Upgraded connections (WebSocket) that ended").register(registry);
        other = new SiteMeters(OTHER);
        Gauge.builder("ipnslink.gateway.site.requests.in.progress", inProgress, AtomicInteger::get)
                .description("Site requests under way (past the visitor limits, not ended yet)").register(registry);
        Gauge.builder("ipnslink.gateway.info", () -> 1).description("The gateway's version and mode")
                .tags("version", version == null ? "unknown" : version, "mode", mode).register(registry);
        bindResolver(resolver);
        if (host != null) {
            bindHost(host);
        }
        for (TimedRecordStore.Op op : TimedRecordStore.Op.values()) {
            for (int ok = 0; ok < 2; ok++) {
                storeTimers[op.ordinal()][ok] = Timer.builder("ipnslink.store").description("Record store calls")
                        .tags("op", op.label(), "outcome", ok == 1 ? "ok" : "error")
                        .serviceLevelObjectives(BUCKETS).register(registry);
            }
        }
        store.sink(this::storeCall);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
    }

    private Timer timer(String name, String description) {
        return Timer.builder(name).description(description).serviceLevelObjectives(BUCKETS).register(registry);
    }

    private void bindResolver(NameResolver resolver) {
        FunctionCounter.builder("ipnslink.resolver.cache.hits", resolver, NameResolver::cacheHits)
                .description("Name lookups answered from the resolver's cache").register(registry);
        FunctionCounter.builder("ipnslink.resolver.cache.misses", resolver, NameResolver::cacheMisses)
                .description("Name lookups the cache could not answer (store, routing endpoints)").register(registry);
        Gauge.builder("ipnslink.resolver.cache.size", resolver, NameResolver::cachedNames)
                .description("Names in the resolver's cache").register(registry);
        Gauge.builder("ipnslink.resolver.cache.hit.ratio", resolver, r -> {
            double h = r.cacheHits();
            double all = h + r.cacheMisses();
            return all == 0 ? Double.NaN : h / all;
        }).description("Hits over all lookups since the start").register(registry);
    }

    private void bindHost(Host host) {
        Gauge.builder("ipnslink.p2p.connections", host, h -> h.connections().size())
                .description("Open libp2p connections (inbound and outbound)").register(registry);
        Gauge.builder("ipnslink.p2p.streams", host, h -> {
            int n = 0;
            for (Connection c : h.connections()) {
                n += c.openStreams();
            }
            return n;
        }).description("Open streams on all libp2p connections").register(registry);
        host.relayService().ifPresent(relay -> {
            Gauge.builder("ipnslink.relay.reservations", relay, r -> r.reservations())
                    .description("Circuit relay reservations held by exposers on this gateway").register(registry);
            Gauge.builder("ipnslink.relay.circuits", relay, r -> r.circuits())
                    .description("Relayed circuits open through this gateway").register(registry);
        });
    }

    // ---- per request -------------------------------------------------------------------------------

    /** Counts a site request in progress until it ends; never refuses. */
    @Override
    public RefusedException check(SiteRequest request, RequestMeter meter) {
        if (meter != null && meter.kind() == RequestMeter.Kind.SITE) { // not raw records, not routing calls
            inProgress.incrementAndGet();
            meter.whenEnded(leave);
        }
        return null;
    }

    @Override
    public void ended(RequestMeter m) {
        int cls = statusClass(m.status());
        int kind = m.kind().ordinal();
        String failure = m.failure();
        counter(failure == null ? requests : failed(failure), kind, cls).increment();
        long start = m.startNanos();
        long resolveStart = m.resolveStartNanos();
        long resolved = m.resolvedNanos();
        if (resolveStart != 0 && resolved != 0) {
            resolve.record(Math.max(0, resolved - resolveStart), TimeUnit.NANOSECONDS);
        }
        long dialStart = m.dialStartNanos();
        long dialed = m.dialedNanos();
        if (dialStart != 0 && dialed != 0) {
            dial.record(Math.max(0, dialed - dialStart), TimeUnit.NANOSECONDS);
        }
        long first = m.firstByteNanos();
        if (first != 0) {
            firstByte.record(Math.max(0, first - start), TimeUnit.NANOSECONDS);
        }
        if (m.upgraded()) {
            upgrades.increment();
        } else if (m.endNanos() != 0) {
            whole[kind].record(Math.max(0, m.endNanos() - start), TimeUnit.NANOSECONDS);
        }
        long in = m.bytesIn();
        long out = m.bytesOut();
        if (in > 0) {
            bytesIn.increment(in);
        }
        if (out > 0) {
            bytesOut.increment(out);
        }
        IpnsName site = m.site();
        if (site != null) {
            SiteMeters s = site(site, dialStart != 0);
            s.byClass(cls).increment();
            if (in > 0) {
                s.in.increment(in);
            }
            if (out > 0) {
                s.out.increment(out);
            }
        }
    }

    /**
     * The meters of {@code name}: its own once it has a label; a label is given, while there are
     * fewer than {@code siteLabels}, only to a site the gateway forwarded a request to.
     */
    private SiteMeters site(IpnsName name, boolean forwarded) {
        SiteMeters s = sites.get(name);
        if (s != null) {
            return s;
        }
        if (!forwarded || labelledSites.get() >= settings.siteLabels()) {
            return other;
        }
        if (labelledSites.incrementAndGet() > settings.siteLabels()) {
            labelledSites.decrementAndGet();
            return other;
        }
        SiteMeters made = new SiteMeters(name.toString());
        SiteMeters raced = sites.putIfAbsent(name, made);
        if (raced != null) {
            labelledSites.decrementAndGet(); // the same meters (the registry returns registered ones)
            return raced;
        }
        return made;
    }

    private FailureRow failed(String failure) {
        FailureRow row = failedRequests.get(failure);
        if (row != null) {
            return row;
        }
        String label = failedRequests.size() >= MAX_FAILURE_KINDS ? OTHER : failure;
        return failedRequests.computeIfAbsent(label, FailureRow::new);
    }

    private Counter counter(FailureRow row, int kind, int cls) {
        Counter c = row.cells()[kind][cls];
        if (c == null) {
            c = Counter.builder("ipnslink.gateway.requests")
                    .description("Requests the gateway answered, by route kind, status class and failure kind")
                    .tags("kind", label(KINDS[kind]), "status", CLASSES[cls], "failure", row.label()).register(registry);
            row.cells()[kind][cls] = c; // a race registers the same counter twice: the registry returns the one
        }
        return c;
    }

    private void storeCall(TimedRecordStore.Op op, boolean ok, long nanos) {
        storeTimers[op.ordinal()][ok ? 1 : 0].record(nanos, TimeUnit.NANOSECONDS);
    }

    static int statusClass(int status) {
        int c = status / 100;
        return c >= 1 && c <= 5 ? c : 0;
    }

    private static String label(RequestMeter.Kind k) {
        return k.name().toLowerCase(Locale.ROOT);
    }

    // ---- for the servlets --------------------------------------------------------------------------

    /** The registry (tests, embedding applications that add their own meters). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public MetricsSettings settings() {
        return settings;
    }

    /** Whether the gateway runs (until {@link #close}). */
    public boolean running() {
        return running;
    }

    /** Readiness now (cached for a second, bounded wait). */
    public Readiness.Result ready() {
        if (!running) {
            return new Readiness.Result(false, "the gateway is stopping");
        }
        return readiness.check();
    }

    /** Sites with a label of their own now. */
    public int labelledSites() {
        return sites.size();
    }

    /**
     * The registry in the Prometheus text format ({@code openMetrics} false: version 0.0.4) or in
     * OpenMetrics 1.0.
     */
    public String scrape(boolean openMetrics) {
        return registry.scrape(openMetrics ? OPENMETRICS : TEXT);
    }

    /** Content type of the Prometheus text format. */
    public static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** Content type of OpenMetrics text. */
    public static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    @Override
    public void close() {
        running = false;
        readiness.close();
        try {
            gc.close();
        } catch (RuntimeException e) {
            LOG.debug("closing the GC metrics: {}", e.toString());
        }
        registry.close();
    }
}
