package io.ipnslink.p2p.tools;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.ConnectionListener;
import io.ipnslink.p2p.EchoHandler;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.PayloadExchange;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.dcutr.DcutrConfig;
import io.ipnslink.p2p.protocol.relay.RelayReservation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A small libp2p node for hole-punching tests in separate processes (network namespaces): one
 * JSON object per line on stdout; runs until stdin closes.
 *
 * <pre>
 *   DcutrNode relay  --listen /ip4/0.0.0.0/tcp/4001
 *   DcutrNode listen --listen /ip4/0.0.0.0/tcp/4001 --relay /ip4/R/tcp/4001/p2p/RELAY [--allow-private] [--announce MA]...
 *   DcutrNode dial   --listen /ip4/0.0.0.0/tcp/4001 --to /ip4/R/tcp/4001/p2p/RELAY/p2p-circuit/p2p/B [--allow-private]
 *                    [--echo-bytes N]
 * </pre>
 *
 * Events: {@code listening} (peerId, addrs), {@code reserved} (circuit addresses), {@code
 * connected} (dial: remoteAddr), {@code upgraded} (peer, relayed, direct, initiator: our role on the
 * direct connection), {@code hole-punch} (peer, initiator: we started it, attempts, success,
 * remoteAddr, detail), {@code echo} (dial: after the hole punch ended, an echo of N bytes over a new
 * stream; relayed: which connection carried it, ok), {@code error}. Both sides serve the test echo
 * protocol. Everything waits at most {@code --timeout} seconds (default 60).
 */
public final class DcutrNode {
    private DcutrNode() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            usage();
        }
        String mode = args[0];
        List<Multiaddr> listen = new ArrayList<>();
        List<Multiaddr> announce = new ArrayList<>();
        Multiaddr relay = null;
        Multiaddr to = null;
        boolean allowPrivate = false;
        long echoBytes = 1024 * 1024;
        long timeoutS = 60;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--listen" -> listen.add(Multiaddr.parse(args[++i]));
                case "--announce" -> announce.add(Multiaddr.parse(args[++i]));
                case "--relay" -> relay = Multiaddr.parse(args[++i]);
                case "--to" -> to = Multiaddr.parse(args[++i]);
                case "--allow-private" -> allowPrivate = true;
                case "--echo-bytes" -> echoBytes = Long.parseLong(args[++i]);
                case "--timeout" -> timeoutS = Long.parseLong(args[++i]);
                default -> usage();
            }
        }
        DcutrConfig dcutr = DcutrConfig.defaults().withAllowPrivateAddresses(allowPrivate).withAnnounce(announce);
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).listen(listen)
                .protocol(EchoHandler.binding());
        switch (mode) {
            case "relay" -> b.relayService(Host.RelayLimits.defaults().withCircuitData(0)
                    .withCircuitDuration(Duration.ZERO)).dcutr(DcutrConfig.disabled());
            case "listen", "dial" -> b.dcutr(dcutr);
            default -> usage();
        }
        Host host = b.build().start();
        Runtime.getRuntime().addShutdownHook(new Thread(host::close));
        CompletableFuture<Object> punched = new CompletableFuture<>();
        host.addConnectionListener(new ConnectionListener() {
            @Override
            public void upgraded(PeerId peer, Connection relayed, Connection direct) {
                emit("upgraded", "peer", peer, "relayed", relayed.remoteAddress(), "direct", direct.remoteAddress(),
                        "initiator", direct.isInitiator());
            }

            @Override
            public void holePunchFinished(PeerId peer, boolean initiator, int attempts, Connection direct,
                    String detail) {
                emit("hole-punch", "peer", peer, "initiator", initiator, "attempts", attempts, "success",
                        direct != null, "remoteAddr", direct == null ? null : direct.remoteAddress(), "detail", detail);
                punched.complete(peer);
            }
        });
        List<String> addrs = new ArrayList<>();
        host.listenAddresses().forEach(a -> addrs.add(a.toString()));
        emit("listening", "peerId", host.peerId(), "addrs", addrs);
        try {
            if ("listen".equals(mode)) {
                if (relay == null) {
                    usage();
                }
                PeerId r = PeerId.parse(relay.valueOf(Multiaddr.Protocol.P2P).orElseThrow());
                RelayReservation rsv = host.reserve(r, List.of(relay.decapsulate(Multiaddr.Protocol.P2P))).first()
                        .get(timeoutS, TimeUnit.SECONDS);
                List<String> circuits = new ArrayList<>();
                rsv.circuitAddresses(host.peerId()).forEach(a -> circuits.add(a.toString()));
                emit("reserved", "circuits", circuits);
            } else if ("dial".equals(mode)) {
                if (to == null) {
                    usage();
                }
                List<Multiaddr.Component> cs = to.components();
                if (cs.get(cs.size() - 1).protocol() != Multiaddr.Protocol.P2P) {
                    usage();
                }
                PeerId peer = PeerId.parse(cs.get(cs.size() - 1).valueText()); // the last /p2p: the target
                Connection c = host.connect(peer, List.of(to)).get(timeoutS, TimeUnit.SECONDS);
                emit("connected", "peer", peer, "remoteAddr", c.remoteAddress());
                try {
                    punched.get(timeoutS, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    emit("error", "detail", "no hole punch within " + timeoutS + " s");
                }
                PayloadExchange ex = new PayloadExchange(echoBytes, 1);
                Stream s = host.newStream(peer, List.of(to), List.of(EchoHandler.PROTOCOL_ID),
                        st -> st.channel().pipeline().addLast(ex)).get(timeoutS, TimeUnit.SECONDS);
                PayloadExchange.Result res = ex.result().get(timeoutS, TimeUnit.SECONDS);
                emit("echo", "bytes", res.bytes(), "ok", PayloadExchange.expectedSha256(echoBytes, 1).equals(res.sha256()),
                        "relayed", s.connection().remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT),
                        "remoteAddr", s.connection().remoteAddress());
            }
        } catch (Exception e) {
            emit("error", "detail", String.valueOf(e));
        }
        while (System.in.read() >= 0) {
            // runs until stdin closes
        }
        host.close();
    }

    private static void usage() {
        System.err.println("usage: DcutrNode relay|listen|dial --listen MA [--relay MA] [--to MA] [--allow-private]"
                + " [--announce MA]... [--echo-bytes N] [--timeout S]");
        System.exit(2);
    }

    /** One JSON line: {"event": name, k1: v1, ...}; values as JSON strings, numbers, booleans, arrays of strings. */
    static synchronized void emit(String event, Object... kv) {
        StringBuilder sb = new StringBuilder("{\"event\":").append(json(event));
        for (int i = 0; i + 1 < kv.length; i += 2) {
            sb.append(',').append(json(String.valueOf(kv[i]))).append(':').append(json(kv[i + 1]));
        }
        System.out.println(sb.append('}'));
        System.out.flush();
    }

    private static String json(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean || v instanceof Number) {
            return v.toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (Object o : l) {
                sb.append(sb.length() == 1 ? "" : ",").append(json(o));
            }
            return sb.append(']').toString();
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : v.toString().toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
