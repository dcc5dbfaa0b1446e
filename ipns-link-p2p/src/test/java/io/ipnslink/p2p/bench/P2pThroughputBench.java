package io.ipnslink.p2p.bench;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.transport.tcp.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Throughput of the libp2p stack (TCP + Noise + yamux) against raw TCP on loopback, one stream and
 * 16 parallel streams (16 raw TCP connections for the baseline), all in one JVM with the same Netty
 * handlers: the sender writes {@code MiB} bytes with backpressure and half-closes, the receiver
 * counts and answers with the 8-byte count, and the time runs until that answer arrives.
 *
 * <p>Not a test: run with {@code bench/p2p-throughput.sh}. Arguments: {@code [totalMiB] [rounds]}
 * (default 512 MiB per measurement, best of 3 rounds after a warm-up).
 */
public final class P2pThroughputBench {
    static final String SINK_PROTOCOL = "/ipns-link/bench/sink/1.0.0";
    static final int CHUNK = 64 * 1024;
    static final int THREADS = 2;

    public static void main(String[] args) throws Exception {
        long totalMiB = args.length > 0 ? Long.parseLong(args[0]) : 512;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        long total = totalMiB << 20;
        System.out.printf(Locale.ROOT, "JDK %s (%s), %d cores, %s%n", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.arch"));

        EventLoops loops = EventLoops.create(THREADS, "bench-raw", true);
        Channel server = new ServerBootstrap().group(loops.group()).channel(loops.serverChannelClass())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new Sink());
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        InetSocketAddress rawAddr = (InetSocketAddress) server.localAddress();

        Host receiver = Host.builder().identity(PrivKey.generateEd25519())
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).eventLoopThreads(THREADS)
                .protocol(ProtocolBinding.of(SINK_PROTOCOL, s -> s.channel().pipeline().addLast(new Sink())))
                .build().start();
        Host sender = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(THREADS).build().start();
        try {
            List<String[]> rows = new ArrayList<>();
            for (int streams : new int[] {1, 16}) {
                long perStream = total / streams;
                Supplier<CompletableFuture<Long>> raw = () -> rawTransfer(loops, rawAddr, perStream);
                Supplier<CompletableFuture<Long>> p2p = () -> p2pTransfer(sender, receiver, perStream);
                double rawMiBs = best(raw, streams, perStream, rounds);
                double p2pMiBs = best(p2p, streams, perStream, rounds);
                rows.add(row("raw TCP" + (streams > 1 ? " x" + streams + " conns" : ""), streams, totalMiB, rawMiBs, rawMiBs));
                rows.add(row("Noise+yamux" + (streams > 1 ? " x" + streams + " streams" : ""), streams, totalMiB, p2pMiBs,
                        rawMiBs));
            }
            System.out.printf(Locale.ROOT, "%-28s %8s %10s %10s %8s%n", "transport", "streams", "MiB", "MiB/s", "ratio");
            for (String[] r : rows) {
                System.out.printf(Locale.ROOT, "%-28s %8s %10s %10s %8s%n", (Object[]) r);
            }
        } finally {
            sender.close();
            receiver.close();
            server.close().sync();
            loops.shutdown(Duration.ofSeconds(2));
        }
    }

    private static String[] row(String name, int streams, long mib, double mibs, double rawMibs) {
        return new String[] {name, String.valueOf(streams), String.valueOf(mib),
            String.format(Locale.ROOT, "%.0f", mibs), String.format(Locale.ROOT, "%.2f", mibs / rawMibs)};
    }

    /** Best MiB/s over {@code rounds} (after one warm-up) of {@code streams} parallel transfers. */
    private static double best(Supplier<CompletableFuture<Long>> transfer, int streams, long perStream, int rounds)
            throws Exception {
        double best = 0;
        for (int r = -1; r < rounds; r++) {
            long t0 = System.nanoTime();
            List<CompletableFuture<Long>> all = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                all.add(transfer.get());
            }
            for (CompletableFuture<Long> f : all) {
                long got = f.get(300, TimeUnit.SECONDS);
                if (got != perStream) {
                    throw new IllegalStateException("receiver counted " + got + " bytes, sent " + perStream);
                }
            }
            double s = (System.nanoTime() - t0) / 1e9;
            double mibs = (double) perStream * streams / (1 << 20) / s;
            if (r >= 0) {
                best = Math.max(best, mibs);
            }
        }
        return best;
    }

    private static CompletableFuture<Long> rawTransfer(EventLoops loops, InetSocketAddress addr, long bytes) {
        Blast blast = new Blast(bytes);
        new Bootstrap().group(loops.group()).channel(loops.socketChannelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(blast)
                .connect(addr);
        return blast.done;
    }

    private static CompletableFuture<Long> p2pTransfer(Host sender, Host receiver, long bytes) {
        Blast blast = new Blast(bytes);
        return sender.newStream(receiver.peerId(), receiver.listenAddresses(), List.of(SINK_PROTOCOL),
                s -> s.channel().pipeline().addLast(blast)).thenCompose(s -> blast.done);
    }

    /** Writes {@code bytes} (one shared read-only chunk, so no copying on our side), half-closes, reads the count. */
    static final class Blast extends ChannelInboundHandlerAdapter {
        private static final ByteBuf CHUNK_BUF = Unpooled.unreleasableBuffer(
                Unpooled.directBuffer(CHUNK).writeZero(CHUNK).asReadOnly());
        final CompletableFuture<Long> done = new CompletableFuture<>();
        private final long bytes;
        private long written;
        private boolean shutdownScheduled;
        private long count = -1;

        Blast(long bytes) {
            this.bytes = bytes;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                pump(ctx);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        private void pump(ChannelHandlerContext ctx) {
            if (written >= bytes) {
                return;
            }
            io.netty.channel.ChannelFuture last = null;
            while (written < bytes && ctx.channel().isWritable()) {
                int n = (int) Math.min(CHUNK, bytes - written);
                written += n; // before write(): a write can re-enter pump() through a writability event
                last = ctx.write(CHUNK_BUF.retainedSlice(0, n));
            }
            ctx.flush();
            if (written >= bytes && last != null && !shutdownScheduled) {
                shutdownScheduled = true;
                // half-close only after the last byte left: shutdownOutput drops pending writes
                last.addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            if (b.readableBytes() >= 8) {
                count = b.readLong();
            }
            b.release();
            done.complete(count);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.complete(count);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }

    /** Counts and drops everything; answers the count when the sender half-closes. */
    static final class Sink extends ChannelInboundHandlerAdapter {
        private long count;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            count += b.readableBytes();
            b.release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.writeAndFlush(ctx.alloc().buffer(8).writeLong(count))
                        .addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
