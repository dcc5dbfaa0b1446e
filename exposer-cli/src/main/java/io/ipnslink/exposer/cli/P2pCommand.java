package io.ipnslink.exposer.cli;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.identify.IdentifyInfo;
import io.ipnslink.p2p.protocol.ping.Ping;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipns-link p2p id|ping MULTIADDR}: diagnostics with a throwaway host. */
@Command(name = "p2p", mixinStandardHelpOptions = true, description = "libp2p diagnostics.",
        subcommands = {P2pCommand.Id.class, P2pCommand.PingCmd.class})
final class P2pCommand extends Base implements Runnable {
    /** Overall limit for dial + identify or dial + pings. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Override
    public void run() {
        spec.commandLine().usage(out());
    }

    record Target(PeerId peer, Multiaddr address) {}

    static Target target(String text) {
        Multiaddr a;
        try {
            a = Multiaddr.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CliException("'" + text + "' is not a multiaddr: " + e.getMessage());
        }
        var mh = a.peerIdMultihash().orElseThrow(() -> new CliException(
                "MULTIADDR must end with /p2p/<peer id>, e.g. /ip4/127.0.0.1/tcp/4021/p2p/12D3KooW..."));
        return new Target(PeerId.fromMultihash(mh), a.decapsulate(Multiaddr.Protocol.P2P));
    }

    static <T> T await(java.util.concurrent.CompletableFuture<T> f, String what) {
        try {
            return f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new CliException(what + " timed out after " + TIMEOUT.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new CliException(what + " failed: " + Main.friendly(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    @Command(name = "id", mixinStandardHelpOptions = true, description = "Dial a peer and show its identify answer.")
    static final class Id extends Base implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "MULTIADDR")
        String address;
        @picocli.CommandLine.Mixin
        PrivateNetworkOptions privateNetwork = new PrivateNetworkOptions();

        @Override
        public Integer call() throws io.ipnslink.p2p.P2pException {
            Target t = target(address);
            try (Host host = Host.builder().identity(PrivKey.generateEd25519()).swarmKey(privateNetwork.key()).build()
                    .start()) {
                Connection c = await(host.connect(t.peer(), List.of(t.address())), "dialing " + address);
                IdentifyInfo info = await(c.identify(), "identify");
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("peer", c.remotePeer().toString());
                m.put("agentVersion", info.agentVersion());
                m.put("protocolVersion", info.protocolVersion());
                m.put("listenAddrs", info.listenAddrs().stream().map(Multiaddr::toString).toList());
                m.put("observedAddr", info.observedAddr().map(Multiaddr::toString).orElse(null));
                m.put("protocols", info.protocols());
                RecordCommand.show(this, m);
            }
            return Main.OK;
        }
    }

    @Command(name = "ping", mixinStandardHelpOptions = true, description = "Dial a peer and measure ping round trips.")
    static final class PingCmd extends Base implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "MULTIADDR")
        String address;
        @picocli.CommandLine.Mixin
        PrivateNetworkOptions privateNetwork = new PrivateNetworkOptions();
        @Option(names = {"-n", "--count"}, defaultValue = "3", description = "number of pings (default 3)")
        int count;

        @Override
        public Integer call() throws io.ipnslink.p2p.P2pException {
            if (count < 1 || count > Ping.MAX_COUNT) {
                throw new CliException("--count must be between 1 and " + Ping.MAX_COUNT);
            }
            Target t = target(address);
            try (Host host = Host.builder().identity(PrivKey.generateEd25519()).swarmKey(privateNetwork.key()).build()
                    .start()) {
                Connection c = await(host.connect(t.peer(), List.of(t.address())), "dialing " + address);
                List<Duration> rtts = await(Ping.ping(c, count, Duration.ofSeconds(10)), "ping");
                if (json()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("peer", c.remotePeer().toString());
                    m.put("rttMillis", rtts.stream().map(d -> d.toNanos() / 1e6).toList());
                    root().printJson(m);
                } else {
                    for (Duration d : rtts) {
                        out().printf("pong from %s: %.3f ms%n", c.remotePeer(), d.toNanos() / 1e6);
                    }
                }
            }
            return Main.OK;
        }
    }
}
