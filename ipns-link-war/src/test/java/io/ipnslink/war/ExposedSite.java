package io.ipnslink.war;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import io.ipnslink.p2p.Host;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A site exposed in the test JVM, as {@code ipns-link expose} would: a JDK HttpServer origin on
 * loopback (it answers {@code hello from the origin: METHOD URI}) behind a TunnelService on its own
 * libp2p host, under a fresh site key. {@link #record()} is the signed IPNS record that points the
 * name at the exposer, for a gateway's routing endpoint.
 */
final class ExposedSite implements AutoCloseable {
    private final ExecutorService originThreads;
    private final HttpServer origin;
    private final Host exposer;
    private final TunnelService tunnel;
    private final PrivKey siteKey;
    private final IpnsName name;

    private ExposedSite(ExecutorService originThreads, HttpServer origin, Host exposer, TunnelService tunnel,
            PrivKey siteKey) {
        this.originThreads = originThreads;
        this.origin = origin;
        this.exposer = exposer;
        this.tunnel = tunnel;
        this.siteKey = siteKey;
        this.name = IpnsName.of(siteKey.peerId());
    }

    static ExposedSite start() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        HttpServer origin = null;
        Host exposer = null;
        try {
            origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            origin.setExecutor(threads);
            origin.createContext("/", ex -> {
                byte[] b = ("hello from the origin: " + ex.getRequestMethod() + " " + ex.getRequestURI())
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain;charset=utf-8");
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            origin.start();

            PrivKey siteKey = PrivKey.generateEd25519();
            exposer = Host.builder().identity(PrivKey.generateEd25519())
                    .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
            TunnelService tunnel = new TunnelService(exposer, TunnelConfig.defaults());
            tunnel.addSite(new SiteConfig(IpnsName.of(siteKey.peerId()),
                    URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null, true));
            return new ExposedSite(threads, origin, exposer, tunnel, siteKey);
        } catch (Exception | Error e) {
            if (exposer != null) {
                exposer.close();
            }
            if (origin != null) {
                origin.stop(0);
            }
            threads.shutdownNow();
            throw e;
        }
    }

    /** A site served by {@code origin} (already running; not closed with the site) behind its own exposer. */
    static ExposedSite start(URI origin) throws Exception {
        PrivKey siteKey = PrivKey.generateEd25519();
        Host exposer = Host.builder().identity(PrivKey.generateEd25519())
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        try {
            TunnelService tunnel = new TunnelService(exposer, TunnelConfig.defaults());
            tunnel.addSite(new SiteConfig(IpnsName.of(siteKey.peerId()), origin, null, true));
            return new ExposedSite(null, null, exposer, tunnel, siteKey);
        } catch (Exception | Error e) {
            exposer.close();
            throw e;
        }
    }

    PrivKey siteKey() {
        return siteKey;
    }

    IpnsName name() {
        return name;
    }

    /** The record (sequence 1, valid for an hour) of a manifest that names the exposer online. */
    IpnsRecord record() throws Exception {
        Manifest manifest = Manifest.online(exposer.peerId(), exposer.listenAddresses(), null, null, List.of());
        return ManifestRecords.create(siteKey, manifest, 1, Duration.ofHours(1), Duration.ofMinutes(5));
    }

    @Override
    public void close() throws Exception {
        try {
            tunnel.close();
            exposer.close();
        } finally {
            if (origin != null) {
                origin.stop(0);
                originThreads.shutdownNow();
            }
        }
    }
}
