package io.ipnslink.exposer;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A minimal stand-in for the HTTP tunnel: each inbound stream of a site's protocol is piped, byte
 * for byte, to a new TCP connection to the origin (what Kubo's {@code ipfs p2p listen} does), with
 * backpressure both ways and half-close passed on. It does not parse HTTP, so it cannot rewrite the
 * Host header ({@code --host} is ignored) or count requests; {@code TunnelService} does both and
 * replaces this class once it is in the build. Plain {@code http://} origins only.
 */
public final class RawPipeTunnel implements SiteTunnel {
    private static final Logger LOG = LoggerFactory.getLogger(RawPipeTunnel.class);
    /** TCP connect timeout to the origin. */
    public static final Duration ORIGIN_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final Host host;
    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Map<IpnsName, URI> sites = new ConcurrentHashMap<>();
    private final Map<IpnsName, AtomicLong> streams = new ConcurrentHashMap<>();
    private final Map<IpnsName, AtomicLong> failures = new ConcurrentHashMap<>();

    public RawPipeTunnel(Host host) {
        this.host = host;
    }

    @Override
    public void addSite(IpnsName name, URI origin, String hostHeader, boolean defaultSite) {
        if (!"http".equalsIgnoreCase(origin.getScheme())) {
            throw new ExposerException("origin " + origin + ": this build tunnels to http:// origins only");
        }
        sites.put(name, origin);
        streams.computeIfAbsent(name, n -> new AtomicLong());
        failures.computeIfAbsent(name, n -> new AtomicLong());
        host.addProtocol(ProtocolBinding.of(Manifest.siteProtocol(name), s -> pipe(name, s)));
    }

    @Override
    public void removeSite(IpnsName name) {
        sites.remove(name);
        host.removeProtocol(Manifest.siteProtocol(name));
    }

    private void pipe(IpnsName name, Stream stream) {
        URI origin = sites.get(name);
        Channel in = stream.channel();
        if (origin == null) {
            stream.reset();
            return;
        }
        streams.get(name).incrementAndGet();
        in.config().setAutoRead(false);
        int port = origin.getPort() == -1 ? 80 : origin.getPort();
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) ORIGIN_CONNECT_TIMEOUT.toMillis())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new Relay(in, stream, false));
                    }
                });
        b.connect(origin.getHost(), port).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                failures.get(name).incrementAndGet();
                LOG.warn("site {}: origin {} unreachable: {}", name, origin, f.cause().toString());
                stream.reset();
                return;
            }
            Channel out = f.channel();
            in.pipeline().addLast(new Relay(out, stream, true));
            in.read();
            out.read();
        });
    }

    /**
     * Copies what its channel reads to {@code target}, reading the next message once written.
     * {@code stream} is the libp2p stream; {@code sourceIsStream} says on which side this runs.
     */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel target;
        private final Stream stream;
        private final boolean sourceIsStream;

        Relay(Channel target, Stream stream, boolean sourceIsStream) {
            this.target = target;
            this.stream = stream;
            this.sourceIsStream = sourceIsStream;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!target.isActive()) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            target.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                } else {
                    ctx.close();
                    target.close();
                }
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                if (sourceIsStream) {
                    ((SocketChannel) target).shutdownOutput();    // visitor's request is complete
                } else {
                    stream.closeWrite();                          // origin's response is complete
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (sourceIsStream) {
                target.close();
            } else {
                stream.close();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("pipe failed: {}", cause.toString());
            ctx.close();
            target.close();
        }
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> out = new LinkedHashMap<>();
        streams.forEach((n, c) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("streams", c.get());
            m.put("originFailures", failures.get(n).get());
            out.put(n.toString(), m);
        });
        return out;
    }

    @Override
    public void close() {
        for (IpnsName n : sites.keySet()) {
            removeSite(n);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
