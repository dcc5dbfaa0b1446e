package io.ipnslink.p2p.protocol.kad;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Message;
import io.netty.channel.ChannelHandlerContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** Java DHT nodes and hostile kad peers on loopback, closed together. */
final class KadNet implements AutoCloseable {
    static final KadConfig TEST_CONFIG = KadConfig.defaults().withRefreshInterval(Duration.ZERO)
            .withQueryTimeout(Duration.ofSeconds(20)).withRequestTimeout(Duration.ofSeconds(5));

    private final List<AutoCloseable> closeables = new ArrayList<>();

    Host host(ProtocolBinding... bindings) throws P2pException {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(1)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
        for (ProtocolBinding pb : bindings) {
            b.protocol(pb);
        }
        Host h = b.build().start();
        closeables.add(h);
        return h;
    }

    KadDht dht(KadDht.Mode mode, KadConfig config, RecordStore store, List<Multiaddr> bootstrap) throws P2pException {
        KadDht.Builder b = KadDht.builder(host()).mode(mode).config(config).bootstrapPeers(bootstrap);
        if (store != null) {
            b.recordStore(store);
        }
        KadDht d = b.build().start();
        closeables.add(d);
        return d;
    }

    /** {@code n} servers; each bootstraps from the first, so the first knows all of them. */
    List<KadDht> servers(int n) throws Exception {
        List<KadDht> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            KadDht d = dht(KadDht.Mode.SERVER, TEST_CONFIG, null, i == 0 ? List.of() : List.of(address(out.get(0))));
            if (i > 0) {
                d.bootstrap().get(30, TimeUnit.SECONDS);
            }
            out.add(d);
        }
        return out;
    }

    static Multiaddr address(KadDht d) {
        return address(d.host());
    }

    static Multiaddr address(Host h) {
        return h.listenAddresses().get(0).encapsulate(Multiaddr.parse("/p2p/" + h.peerId()));
    }

    static KadPeer peer(KadDht d) {
        return peer(d.host());
    }

    static KadPeer peer(Host h) {
        return new KadPeer(h.peerId(), h.listenAddresses());
    }

    /**
     * A host that speaks kad as {@code answer} says: the answer to each request, or null for none
     * (the request is read and left unanswered).
     */
    Host hostile(Function<Message, Message> answer, AtomicInteger requests) throws P2pException {
        return host(ProtocolBinding.of(Kad.PROTOCOL_ID, stream -> stream.channel().pipeline().addLast(
                new KadMessageReader(Duration.ofSeconds(30), new KadMessageReader.Listener() {
                    @Override
                    public void onMessage(ChannelHandlerContext ctx, Message message) {
                        requests.incrementAndGet();
                        Message m = answer.apply(message);
                        if (m != null) {
                            ctx.writeAndFlush(Kad.encode(ctx.alloc(), m));
                        }
                    }

                    @Override
                    public void onError(ChannelHandlerContext ctx, Throwable cause, boolean clean) {
                        ctx.close();
                    }
                }))));
    }

    // ---- records

    record Named(PrivKey key, IpnsName name) {
        byte[] routingKey() {
            return name.routingKey();
        }
    }

    static Named newName() {
        PrivKey k = PrivKey.generateEd25519();
        return new Named(k, IpnsName.of(k.peerId()));
    }

    static IpnsRecord record(Named n, long sequence) {
        return IpnsRecord.builder(n.key()).value("/ipfs/bafkqaaa").sequence(sequence).lifetime(Duration.ofHours(2))
                .build();
    }

    static IpnsRecord expired(Named n) {
        Clock past = Clock.fixed(Instant.now().minus(Duration.ofDays(3)), ZoneOffset.UTC);
        return IpnsRecord.builder(n.key()).value("/ipfs/bafkqaaa").sequence(50).lifetime(Duration.ofHours(1))
                .clock(past).build();
    }

    /** The record with one byte of its V2 signature flipped. */
    static byte[] badSignature(IpnsRecord r) {
        byte[] raw = r.raw().clone();
        byte[] sig = r.signatureV2();
        int at = indexOf(raw, sig);
        if (at < 0) {
            throw new IllegalStateException("signature not found in the record");
        }
        raw[at + 10] ^= 0x01;
        return raw;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static void await(java.util.function.BooleanSupplier cond, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }
}
