import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.RoutingV1;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * Benchmark launcher of our chain in one JVM (bench/run.sh --one-jvm, start_one_jvm_chain): gateway = {@link IpnsLinkFilter}
 * in embedded Tomcat (connector capped at {@code --threads} threads) -> our libp2p -> exposer =
 * {@link TunnelService} on its own {@link Host} -> the origin. Both halves run in this one JVM.
 *
 * <pre>
 * java -cp &lt;modules + deps&gt; bench/our-chain/OurChain.java --origin http://127.0.0.1:P
 *      [--threads 50] [--cold-names K] [--dir DIR]
 * </pre>
 *
 * One warm site on the main exposer host, plus K "cold" sites, each on its own exposer host (own
 * peer id), so that the first request to a cold name pays record lookup + validation + manifest +
 * a new libp2p dial (TCP + Noise + yamux) + the first stream. Every site's record (with its
 * manifest) is PUT to the gateway's own delegated-routing endpoint, as an exposer publishing to
 * that gateway would. Prints one JSON line
 * {@code {"event":"listening","port":P,"warm":"/ipns/<name>","cold":["/ipns/<name>",...]}} and runs
 * until SIGTERM (a shutdown hook closes everything). The same Tomcat also answers
 * {@code GET /_bench/1k} from a servlet (1 KiB, no chain): the container-alone figure.
 *
 * <p>Written against the contracts of issues 4/5 (TunnelService, SiteConfig,
 * TunnelConfig.defaults()) and the filter's configuration keys (docs/configuration.md).
 */
public final class OurChain {
    /** Record lifetime and TTL of the benchmark's sites. */
    static final Duration RECORD_LIFETIME = Duration.ofHours(2);
    static final Duration RECORD_TTL = Duration.ofMinutes(30);
    /** Longest wait for one record PUT to the gateway. */
    static final Duration PUT_TIMEOUT = Duration.ofSeconds(10);
    /** Upper bound of --cold-names. */
    static final int MAX_COLD_NAMES = 100;
    /** Connections Tomcat queues before accepting (2,000 long-polls connect at once). */
    static final int ACCEPT_COUNT = 4096;
    /** Concurrent proxied requests allowed to one site's peer (default 64; the benchmark drives 2,000). */
    static final int MAX_STREAMS_PER_ORIGIN = 4096;
    /** Held so that its level (warnings only) is not lost to garbage collection. */
    static final java.util.logging.Logger TOMCAT_LOG = java.util.logging.Logger.getLogger("org.apache");

    record Exposer(Host host, TunnelService tunnel, PrivKey key, IpnsName name) implements AutoCloseable {
        static Exposer start(URI origin, int eventLoopThreads) throws Exception {
            PrivKey key = Ed25519PrivKey.generate();
            IpnsName name = IpnsName.of(key.peerId());
            Host host = Host.builder().identity(Ed25519PrivKey.generate())
                    .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).eventLoopThreads(eventLoopThreads)
                    .yamuxConfig(TunnelService.HOST_YAMUX).build().start();
            TunnelService tunnel = new TunnelService(host, TunnelConfig.defaults());
            tunnel.addSite(new SiteConfig(name, origin, null, true));
            return new Exposer(host, tunnel, key, name);
        }

        IpnsRecord record() {
            Manifest m = new Manifest(host.peerId(), host.listenAddresses(), null, null, false, List.of(), List.of(),
                    List.of());
            return ManifestRecords.create(key, m, 1, RECORD_LIFETIME, RECORD_TTL);
        }

        @Override
        public void close() throws Exception {
            tunnel.close();
            host.close();
        }
    }

    public static void main(String[] args) {
        TOMCAT_LOG.setLevel(java.util.logging.Level.WARNING);
        try {
            run(args);
        } catch (Exception | Error e) {
            System.err.println("OurChain: failed to start: " + e);
            e.printStackTrace();
            System.exit(1); // the shutdown hook closes what was started
        }
    }

    static void run(String[] args) throws Exception {
        URI origin = null;
        int threads = 50;
        int coldNames = 3;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                usage("missing value after " + a);
            }
            switch (a) {
                case "--origin" -> origin = URI.create(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--cold-names" -> coldNames = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> usage("unknown argument " + a);
            }
        }
        if (origin == null || threads < 1 || coldNames < 0 || coldNames > MAX_COLD_NAMES) {
            usage("--origin is required; --threads >= 1; --cold-names 0.." + MAX_COLD_NAMES);
        }
        Path work = dir != null ? dir : Files.createTempDirectory("ipnslink-ourchain");
        List<AutoCloseable> open = Collections.synchronizedList(new ArrayList<>());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeAll(open), "ourchain-shutdown"));

        Exposer warm = Exposer.start(origin, 2);
        open.add(warm);
        List<Exposer> cold = new ArrayList<>();
        for (int i = 0; i < coldNames; i++) {
            Exposer e = Exposer.start(origin, 1);
            open.add(e);
            cold.add(e);
        }

        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(work.resolve("tomcat").toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        Connector connector = tomcat.getConnector();
        connector.setProperty("address", "127.0.0.1");
        connector.setProperty("maxThreads", Integer.toString(threads));
        connector.setProperty("minSpareThreads", Integer.toString(Math.min(10, threads)));
        connector.setProperty("acceptCount", Integer.toString(ACCEPT_COUNT));
        connector.setProperty("maxKeepAliveRequests", "-1");
        connector.setProperty("keepAliveTimeout", "120000");
        Context ctx = tomcat.addContext("", null);
        // Filters only run for requests mapped to a servlet: everything the filter passes on is a 404.
        Tomcat.addServlet(ctx, "not-found", new NotFound()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/", "not-found");
        // The container alone (with the filter passing the request on): the ceiling of any servlet
        // gateway on this machine, measured next to the chain.
        Tomcat.addServlet(ctx, "bytes-1k", new Bytes1k()).setAsyncSupported(true);
        ctx.addServletMappingDecoded(CONTAINER_ALONE_PATH, "bytes-1k");
        FilterDef def = new FilterDef();
        def.setFilterName("ipnslink");
        def.setFilter(new IpnsLinkFilter());
        def.setAsyncSupported("true");
        Map.of("allow-private-addresses", "true",
                "data-dir", work.resolve("gateway").toString(),
                "dnslink", "false",
                "max-streams-per-origin", Integer.toString(MAX_STREAMS_PER_ORIGIN))
                .forEach(def::addInitParameter);
        ctx.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("ipnslink");
        map.addURLPattern("/*");
        map.setDispatcher("REQUEST");
        map.setDispatcher("ASYNC");
        ctx.addFilterMap(map);
        open.add(() -> {
            tomcat.stop();
            tomcat.destroy();
        });
        tomcat.start();
        if (ctx.getState() != LifecycleState.STARTED) {
            throw new IllegalStateException("the gateway web app did not start (filter init failed?)");
        }
        int port = connector.getLocalPort();

        HttpClient http = HttpClient.newBuilder().connectTimeout(PUT_TIMEOUT).build();
        List<Exposer> all = new ArrayList<>(cold);
        all.add(0, warm);
        for (Exposer e : all) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + RoutingV1.IPNS_PATH + e.name()))
                    .timeout(PUT_TIMEOUT)
                    .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(e.record().raw())).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("record PUT for " + e.name() + " answered " + r.statusCode() + ": "
                        + r.body());
            }
        }
        String coldJson = cold.stream().map(e -> "\"/ipns/" + e.name() + "\"").collect(Collectors.joining(","));
        System.out.println("{\"event\":\"listening\",\"port\":" + port + ",\"warm\":\"/ipns/" + warm.name()
                + "\",\"cold\":[" + coldJson + "]}");
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Answers 404 to whatever the gateway filter passes down the chain. */
    /** Path of the servlet that answers 1 KiB itself, without the chain. */
    static final String CONTAINER_ALONE_PATH = "/_bench/1k";

    /** Answers 1 KiB of fixed bytes: Tomcat and the filter's pass-through, no chain. */
    static final class Bytes1k extends jakarta.servlet.http.HttpServlet {
        private static final byte[] BODY = new byte[1024];

        @Override
        protected void doGet(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp)
                throws java.io.IOException {
            resp.setContentType("application/octet-stream");
            resp.setContentLength(BODY.length);
            resp.getOutputStream().write(BODY);
        }
    }

    static final class NotFound extends jakarta.servlet.http.HttpServlet {
        @Override
        protected void service(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp)
                throws java.io.IOException {
            resp.sendError(404, "not an IPNS-Link path");
        }
    }

    static void closeAll(List<AutoCloseable> open) {
        List<AutoCloseable> copy;
        synchronized (open) {
            copy = new ArrayList<>(open);
        }
        Collections.reverse(copy);
        for (AutoCloseable c : copy) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("close failed: " + e);
            }
        }
    }

    static void usage(String why) {
        System.err.println("OurChain: " + why);
        System.err.println("usage: java -cp <cp> bench/our-chain/OurChain.java --origin URL [--threads N]"
                + " [--cold-names K] [--dir DIR]");
        System.exit(2);
    }
}
