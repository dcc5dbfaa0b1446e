package io.ipnslink.exposer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.tunnel.TunnelErrors;
import io.ipnslink.tunnel.server.TunnelService;
import io.ipnslink.tunnel.server.TunnelStats;
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
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code expose --metrics PORT}: the running exposer's figures for Prometheus at
 * {@code http://ADDR:PORT/metrics} (text format 0.0.4, or OpenMetrics when asked by Accept): per
 * site, tunnel requests and streams (open and all), origin answers by status class, origin latency,
 * bytes each way and the tunnel's errors by kind; the origin pools' idle connections; libp2p
 * connections and streams; relay reservations held and wanted; publishes and failed publishes; JVM
 * and process figures. docs/exposer.md lists them.
 *
 * <p>A small server: the JDK's, two threads, a backlog of 16, only {@code GET} and {@code HEAD} of
 * {@code /metrics}; request bodies are never read (a request with one is refused), the answer is
 * made in memory and written at once. Bound to {@code 127.0.0.1} unless {@code --metrics-bind}
 * says otherwise: it has no authentication.
 */
public final class ExposerMetrics implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExposerMetrics.class);
    /** Content type of the Prometheus text format. */
    public static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** Content type of OpenMetrics text. */
    public static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    /** Histogram buckets of the origin latency: 1 ms to 60 s. */
    static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};
    /** The tunnel's error kinds (the exposer's own answers and cut answers). */
    static final List<String> ERROR_KINDS = List.of(TunnelErrors.ORIGIN_UNREACHABLE, TunnelErrors.ORIGIN_TIMEOUT,
            TunnelErrors.IDLE, TunnelErrors.BAD_REQUEST, TunnelErrors.BAD_RESPONSE, TunnelErrors.ORIGIN_CLOSED,
            TunnelErrors.ORIGIN_FAILED, TunnelErrors.ORIGIN_TLS);
    /** Threads answering scrapes. */
    static final int THREADS = 2;

    private final PrometheusMeterRegistry registry;
    private final HttpServer server;
    private final ExecutorService threads;
    private final JvmGcMetrics gc;
    private final TunnelStats stats;

    private ExposerMetrics(PrometheusMeterRegistry registry, HttpServer server, ExecutorService threads,
            JvmGcMetrics gc, TunnelStats stats) {
        this.registry = registry;
        this.server = server;
        this.threads = threads;
        this.gc = gc;
        this.stats = stats;
    }

    /**
     * Registers the figures of {@code exposer} (started) and serves them on {@code bind}:{@code port}
     * (0: any free port).
     *
     * @throws IOException when the address cannot be bound
     */
    public static ExposerMetrics start(Exposer exposer, InetAddress bind, int port) throws IOException {
        // the JDK server's own limits (read once, when its first server is made): a request's head
        // within 10 s, at most 64 header lines; no effect when set already
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "10"));
        System.setProperty("sun.net.httpserver.maxReqHeaders",
                System.getProperty("sun.net.httpserver.maxReqHeaders", "64"));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TunnelStats stats = exposer.tunnel().tunnelService().map(TunnelService::stats).orElse(null);
        register(registry, exposer, stats);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(bind, port), 16);
        } catch (IOException e) {
            gc.close();
            registry.close();
            if (stats != null) {
                stats.listener(null);
            }
            throw e;
        }
        ExecutorService threads = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "exposer-metrics");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        ExposerMetrics m = new ExposerMetrics(registry, server, threads, gc, stats);
        server.createContext("/", m::handle);
        server.start();
        LOG.info("metrics at http://{}:{}/metrics", bind.getHostAddress(), m.port());
        return m;
    }

    private static void register(PrometheusMeterRegistry registry, Exposer exposer, TunnelStats stats) {
        Host host = exposer.host();
        Map<String, String> keyNames = new HashMap<>();
        for (Map.Entry<String, IpnsName> e : exposer.siteNames().entrySet()) {
            keyNames.put(e.getValue().toString(), e.getKey());
        }
        if (stats != null) {
            Map<String, Timer> latency = new HashMap<>();
            for (Map.Entry<String, String> e : keyNames.entrySet()) {
                String name = e.getKey();
                String site = e.getValue();
                TunnelStats.Site s = stats.site(name);
                FunctionCounter.builder("ipnslink.exposer.requests", s, TunnelStats.Site::requests)
                        .description("Requests from gateways").tags("site", site).register(registry);
                for (int c = 1; c <= 5; c++) {
                    int cls = c;
                    FunctionCounter.builder("ipnslink.exposer.answers", s, x -> x.answers(cls))
                            .description("Answers to gateways by status class (the origin's, or the exposer's own)")
                            .tags("site", site, "status", c + "xx").register(registry);
                }
                FunctionCounter.builder("ipnslink.exposer.streams", s, TunnelStats.Site::streams)
                        .description("Streams from gateways accepted").tags("site", site).register(registry);
                Gauge.builder("ipnslink.exposer.streams.open", s, TunnelStats.Site::activeStreams)
                        .description("Streams from gateways open now").tags("site", site).register(registry);
                FunctionCounter.builder("ipnslink.exposer.bytes", s, TunnelStats.Site::bytesIn).baseUnit("bytes")
                        .description("Body bytes by direction (in: from gateways)").tags("site", site, "direction", "in")
                        .register(registry);
                FunctionCounter.builder("ipnslink.exposer.bytes", s, TunnelStats.Site::bytesOut).baseUnit("bytes")
                        .description("Body bytes by direction (in: from gateways)").tags("site", site, "direction", "out")
                        .register(registry);
                FunctionCounter.builder("ipnslink.exposer.upgrades", s, TunnelStats.Site::upgrades)
                        .description("Protocol upgrades (WebSocket) the origin accepted").tags("site", site)
                        .register(registry);
                for (String kind : ERROR_KINDS) {
                    FunctionCounter.builder("ipnslink.exposer.errors", s, x -> x.errors(kind))
                            .description("The tunnel's failures by kind").tags("site", site, "kind", kind)
                            .register(registry);
                }
                latency.put(name, Timer.builder("ipnslink.exposer.origin.latency")
                        .description("From a request's head to the origin's answer head")
                        .tags("site", site).serviceLevelObjectives(BUCKETS).register(registry));
            }
            // the sites are the exposer's own (a bounded set); a name not among them is not timed
            stats.listener((name, status, nanos) -> {
                Timer t = latency.get(name);
                if (t != null && nanos >= 0) {
                    t.record(nanos, TimeUnit.NANOSECONDS);
                }
            });
            TunnelService service = exposer.tunnel().tunnelService().orElseThrow();
            Gauge.builder("ipnslink.exposer.origin.pool.idle", service, TunnelService::originConnectionsIdle)
                    .description("Idle keep-alive connections to origins kept for reuse").register(registry);
            FunctionCounter.builder("ipnslink.exposer.origin.connections", service,
                    TunnelService::originConnectionsOpened).description("Connections opened to origins")
                    .register(registry);
        }
        Gauge.builder("ipnslink.p2p.connections", host, h -> h.connections().size())
                .description("Open libp2p connections (inbound and outbound)").register(registry);
        Gauge.builder("ipnslink.p2p.streams", host, h -> {
            int n = 0;
            for (Connection c : h.connections()) {
                n += c.openStreams();
            }
            return n;
        }).description("Open streams on all libp2p connections").register(registry);
        Gauge.builder("ipnslink.exposer.relay.reservations", exposer, e -> e.reservationCounts()[0])
                .description("Relay reservations by state").tags("state", "held").register(registry);
        Gauge.builder("ipnslink.exposer.relay.reservations", exposer, e -> e.reservationCounts()[1])
                .description("Relay reservations by state").tags("state", "wanted").register(registry);
        FunctionCounter.builder("ipnslink.exposer.publishes", exposer, Exposer::publishCount)
                .description("Publishes by outcome (failed: a router refused or did not answer)")
                .tags("outcome", "ok").register(registry);
        FunctionCounter.builder("ipnslink.exposer.publishes", exposer, Exposer::publishFailureCount)
                .description("Publishes by outcome (failed: a router refused or did not answer)")
                .tags("outcome", "failed").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** The port the metrics are served on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The registry (tests). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!"/metrics".equals(ex.getRequestURI().getPath())) {
                send(ex, 404, "text/plain; charset=utf-8", "not found: the metrics are at /metrics\n", method);
                return;
            }
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n", method);
                return;
            }
            if (hasBody(ex)) {
                send(ex, 413, "text/plain; charset=utf-8", "a scrape has no body\n", method);
                return;
            }
            String accept = ex.getRequestHeaders().getFirst("Accept");
            boolean open = accept != null && accept.toLowerCase(Locale.ROOT).contains("application/openmetrics-text");
            send(ex, 200, open ? OPENMETRICS : TEXT, registry.scrape(open ? OPENMETRICS : TEXT), method);
        } catch (RuntimeException e) {
            LOG.warn("metrics scrape failed: {}", e.toString());
        }
    }

    private static boolean hasBody(HttpExchange ex) {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        return (length != null && !length.trim().equals("0")) || ex.getRequestHeaders().containsKey("Transfer-Encoding");
    }

    private static void send(HttpExchange ex, int status, String type, String body, String method) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        if ("HEAD".equals(method)) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
        try (InputStream in = ex.getRequestBody()) {
            in.close(); // never read: the exchange closes the connection when a body is left
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        if (stats != null) {
            stats.listener(null);
        }
        try {
            gc.close();
        } catch (RuntimeException e) {
            LOG.debug("closing the GC metrics: {}", e.toString());
        }
        registry.close();
    }
}
