package io.ipnslink.p2p.protocol.bitswap;

import static org.junit.jupiter.api.Assertions.fail;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Hosts and bitswap nodes on loopback for tests, closed together. */
final class BitswapNet implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(20);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    Host host(ProtocolBinding... bindings) throws Exception {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(1)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
        for (ProtocolBinding p : bindings) {
            b.protocol(p);
        }
        Host h = b.build().start();
        closeables.add(h);
        return h;
    }

    Bitswap node(BlockStore store, BitswapConfig config) throws Exception {
        return node(store, config, null);
    }

    Bitswap node(BlockStore store, BitswapConfig config, java.util.concurrent.Executor workers) throws Exception {
        Bitswap.Builder b = Bitswap.builder(host()).blockStore(store).config(config);
        if (workers != null) {
            b.workerExecutor(workers);
        }
        Bitswap n = b.build().start();
        closeables.add(n);
        return n;
    }

    static void connect(Host from, Host to) throws Exception {
        from.connect(to.peerId(), to.listenAddresses()).get(10, TimeUnit.SECONDS);
    }

    /** A peer that speaks bitswap 1.2.0 by hand: what it receives is queued; it answers nothing by itself. */
    record RawPeer(Host host, BlockingQueue<BitswapMessage> received) {}

    RawPeer rawPeer() throws Exception {
        BlockingQueue<BitswapMessage> q = new LinkedBlockingQueue<>();
        Host h = host(new ProtocolBinding(List.of(Bitswap.PROTOCOL_1_2_0), stream -> stream.channel().pipeline()
                .addLast(new BitswapMessageReader(Bitswap.MAX_MESSAGE_BYTES), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                        if (msg instanceof byte[] body) {
                            q.add(BitswapMessage.decode(body, Bitswap.PROTOCOL_1_2_0));
                        } else {
                            ReferenceCountUtil.release(msg);
                        }
                    }
                })));
        return new RawPeer(h, q);
    }

    /** Writes {@code wire} (frames, or anything) on a new bitswap stream from {@code from} to {@code to}. */
    static Stream sendRaw(Host from, Host to, byte[] wire) throws Exception {
        Stream s = from.newStream(to.peerId(), to.listenAddresses(), Bitswap.PROTOCOL_1_2_0).get(10, TimeUnit.SECONDS);
        s.channel().writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(wire)).sync();
        s.closeWrite();
        return s;
    }

    static byte[] frame(BitswapMessage m) {
        return BitswapMessageReaderTest.frame(m.encode(Bitswap.PROTOCOL_1_2_0));
    }

    static void waitUntil(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("completed without failure");
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

}
