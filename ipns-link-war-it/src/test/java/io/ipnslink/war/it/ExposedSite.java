package io.ipnslink.war.it;

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
import io.ipnslink.p2p.Host;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The exposer, in the test JVM: a libp2p host on loopback whose tunnel serves one site (a fresh
 * key) from {@code origin}, and the signed IPNS record with the manifest pointing at that host.
 */
final class ExposedSite implements AutoCloseable {
    private final Host host;
    private final TunnelService tunnel;
    private final IpnsName name;
    private final IpnsRecord record;

    private ExposedSite(Host host, TunnelService tunnel, IpnsName name, IpnsRecord record) {
        this.host = host;
        this.tunnel = tunnel;
        this.name = name;
        this.record = record;
    }

    static ExposedSite start(URI origin) throws Exception {
        PrivKey key = Ed25519PrivKey.generate();
        IpnsName name = IpnsName.of(key.peerId());
        Host host = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        TunnelService tunnel = null;
        try {
            tunnel = new TunnelService(host, TunnelConfig.defaults());
            tunnel.addSite(new SiteConfig(name, origin, null, true));
            Manifest m = new Manifest(host.peerId(), host.listenAddresses(), null, null, false, List.of(), List.of(),
                    List.of());
            IpnsRecord record = ManifestRecords.create(key, m, 1, Duration.ofHours(1), Duration.ofMinutes(5));
            return new ExposedSite(host, tunnel, name, record);
        } catch (Exception | Error e) {
            if (tunnel != null) {
                tunnel.close();
            }
            host.close();
            throw e;
        }
    }

    /** The site's name, base36 ({@code k51...}). */
    String name() {
        return name.toString();
    }

    /** The signed record (protobuf bytes) to publish. */
    byte[] record() {
        return record.raw();
    }

    @Override
    public void close() throws Exception {
        try {
            tunnel.close();
        } finally {
            host.close();
        }
    }
}
