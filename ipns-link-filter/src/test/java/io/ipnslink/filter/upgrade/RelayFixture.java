package io.ipnslink.filter.upgrade;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;

/**
 * An embedded Tomcat (loopback, port 0) whose one servlet plays the gateway's part: it connects
 * to a Netty "site" on loopback TCP (auto-read off, half-closure on, like a yamux stream), answers
 * the visitor 101 itself and hands the connection to a relay made by {@link #relays}. Sites, by
 * path:
 * <ul>
 *   <li>{@code /ws}: a WebSocket echo (frames echoed as they are; a text {@code "close-me"} makes the
 *       site send a close frame and close; ping answered with pong); {@code /ws?slow} reads one
 *       frame at a time with a pause between reads</li>
 *   <li>{@code /raw}: echoes bytes; {@code QUIT} in the input makes it close after the echo,
 *       {@code RESET} reset the connection; its end
 *       of input makes it write {@code EOF-SEEN} and close; {@link #GREETING} is handed to the relay
 *       as bytes read behind the 101</li>
 *   <li>{@code /flood}: writes {@link #FLOOD_BYTES} as fast as the relay takes them, counting
 *       what it could write</li>
 *   <li>{@code /sink}: never reads a byte</li>
 * </ul>
 */
final class RelayFixture implements AutoCloseable {
    static final String GREETING = "hello from behind the 101\n";
    static final long FLOOD_BYTES = 256L << 20;
    static final int MAX_FRAME = 4 << 20;
    private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /** Makes the handler the servlet installs; the default is the real {@link UpgradeRelay}. */
    interface RelayInstaller {
        Object install(HttpServletRequest req, HttpServletResponse resp, Channel stream, ByteBuf alreadyRead,
                UpgradeSettings s) throws Exception;
    }

    final EventLoopGroup group = new NioEventLoopGroup(2);
    final ExecutorService servletSide = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "upgrade-servlet-side");
        t.setDaemon(true);
        return t;
    });
    final BlockingQueue<Object> relays = new LinkedBlockingQueue<>();
    /** Bytes the flood site managed to write. */
    final AtomicInteger floodWritten = new AtomicInteger();
    final BlockingQueue<Channel> floodChannels = new LinkedBlockingQueue<>();
    /** Gateway-side channels to the raw site, as the servlet made them. */
    final BlockingQueue<Channel> rawStreams = new LinkedBlockingQueue<>();
    /** Bytes that reached the WebSocket site. */
    final java.util.concurrent.atomic.AtomicLong wsSiteBytesIn = new java.util.concurrent.atomic.AtomicLong();
    private final Channel wsSite;
    private final Channel rawSite;
    private final Channel floodSite;
    private final Channel sinkSite;
    private final Tomcat tomcat;
    private final UpgradeSettings settings;
    private final RelayInstaller installer;

    RelayFixture(Path dir, Function<ExecutorService, UpgradeSettings> settingsFor) throws Exception {
        this(dir, settingsFor, (req, resp, stream, already, s) -> UpgradeRelay.install(req, resp, stream, already, s));
    }

    RelayFixture(Path dir, Function<ExecutorService, UpgradeSettings> settingsFor, RelayInstaller installer)
            throws Exception {
        this.settings = settingsFor.apply(servletSide);
        this.installer = installer;
        wsSite = serve(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        wsSiteBytesIn.addAndGet(((ByteBuf) msg).readableBytes());
                        ctx.fireChannelRead(msg);
                    }
                }, new WebSocket13FrameDecoder(true, false, MAX_FRAME),
                        new WebSocket13FrameEncoder(false), new WsEcho());
            }
        });
        rawSite = serve(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new RawEcho());
            }
        });
        floodSite = serve(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new Flood());
            }
        });
        sinkSite = serve(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.config().setReceiveBufferSize(16 * 1024); // auto-read is off: it never reads at all
            }
        });
        tomcat = startTomcat(dir);
    }

    private Channel serve(ChannelInitializer<SocketChannel> init) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(init).bind("127.0.0.1", 0).sync().channel();
    }

    private Tomcat startTomcat(Path dir) throws LifecycleException {
        java.util.logging.Logger.getLogger("org.apache").setLevel(java.util.logging.Level.WARNING);
        Tomcat t = new Tomcat();
        t.setBaseDir(dir.resolve("tomcat").toString());
        t.setHostname("127.0.0.1");
        t.setPort(0);
        t.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = t.addContext("", null);
        Tomcat.addServlet(ctx, "upgrade", new UpgradingServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/", "upgrade");
        t.start();
        return t;
    }

    int port() {
        return tomcat.getConnector().getLocalPort();
    }

    URI ws(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + port() + pathAndQuery);
    }

    /** The next relay the servlet installed. */
    Object nextRelay() throws InterruptedException {
        Object r = relays.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no upgrade within 10 s");
        }
        return r;
    }

    @Override
    public void close() throws Exception {
        try {
            tomcat.stop();
            tomcat.destroy();
        } finally {
            wsSite.close();
            rawSite.close();
            floodSite.close();
            sinkSite.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            servletSide.shutdownNow();
        }
    }

    /** The gateway's part: connect to the site, answer 101, hand over. */
    private final class UpgradingServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String path = req.getRequestURI();
            Channel site = switch (path) {
                case "/ws" -> wsSite;
                case "/raw" -> rawSite;
                case "/flood" -> floodSite;
                case "/sink" -> sinkSite;
                default -> null;
            };
            if (site == null || req.getHeader("Upgrade") == null) {
                resp.sendError(404);
                return;
            }
            Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .handler(new ChannelInboundHandlerAdapter());
            ChannelFuture connect = b.connect((InetSocketAddress) site.localAddress());
            if (!connect.awaitUninterruptibly(5, TimeUnit.SECONDS) || !connect.isSuccess()) {
                resp.sendError(502);
                return;
            }
            Channel stream = connect.channel();
            resp.setHeader("Upgrade", req.getHeader("Upgrade"));
            resp.setHeader("Connection", "Upgrade");
            ByteBuf already = null;
            if ("/ws".equals(path)) {
                resp.setHeader("Sec-WebSocket-Accept", accept(req.getHeader("Sec-WebSocket-Key")));
            } else if ("/raw".equals(path)) {
                rawStreams.add(stream);
                already = Unpooled.copiedBuffer(GREETING, StandardCharsets.US_ASCII);
            }
            // known before the visitor's first byte can reach the site
            if (req.getQueryString() != null && req.getQueryString().contains("slow")) {
                slowSites.add(stream.localAddress());
            }
            try {
                relays.add(installer.install(req, resp, stream, already, settings));
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }

    /** Local addresses of gateway-side connections whose site end reads slowly. */
    final java.util.Set<java.net.SocketAddress> slowSites = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1")
                    .digest((key + WS_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Echoes whole frames; reads on only after the echoes were written (and a pause when slow). */
    private final class WsEcho extends ChannelInboundHandlerAdapter {
        private int echoing;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            WebSocketFrame f = (WebSocketFrame) msg;
            WebSocketFrame answer;
            boolean close = false;
            if (f instanceof CloseWebSocketFrame c) {
                answer = new CloseWebSocketFrame(c.statusCode() < 0 ? 1000 : c.statusCode(), "bye");
                close = true;
                f.release();
            } else if (f instanceof PingWebSocketFrame p) {
                answer = new PongWebSocketFrame(p.content().retain());
                f.release();
            } else if (f instanceof TextWebSocketFrame t && "close-me".equals(t.text())) {
                answer = new CloseWebSocketFrame(1000, "site closes");
                close = true;
                f.release();
            } else {
                answer = f;
            }
            echoing++;
            boolean thenClose = close;
            ctx.writeAndFlush(answer).addListener(x -> {
                echoing--;
                if (thenClose || !x.isSuccess()) {
                    ctx.close();
                } else if (echoing == 0) {
                    next(ctx);
                }
            });
        }

        private void next(ChannelHandlerContext ctx) {
            // the site's end sees the gateway end's local address as its remote one
            if (slowSites.contains(ctx.channel().remoteAddress())) {
                ctx.executor().schedule(ctx::read, 1, TimeUnit.MILLISECONDS);
            } else {
                ctx.read();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (echoing == 0) {
                ctx.read(); // no whole frame yet: the decoder needs more bytes
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Echoes bytes with backpressure; QUIT closes after the echo; end of input: EOF-SEEN, close. */
    private static final class RawEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            if (b.toString(StandardCharsets.US_ASCII).contains("RESET")) {
                b.release();
                ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0); // close sends RST
                ctx.close();
                return;
            }
            boolean quit = b.toString(StandardCharsets.US_ASCII).contains("QUIT");
            ctx.writeAndFlush(b).addListener(f -> {
                if (quit || !f.isSuccess()) {
                    ctx.close();
                } else {
                    ctx.read();
                }
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.writeAndFlush(Unpooled.copiedBuffer("EOF-SEEN", StandardCharsets.US_ASCII))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Writes 64 KiB chunks while writable, until {@link #FLOOD_BYTES}. */
    private final class Flood extends ChannelInboundHandlerAdapter {
        private final ByteBuf chunk = Unpooled.unreleasableBuffer(Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024));

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            floodChannels.add(ctx.channel());
            write(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            write(ctx);
        }

        private void write(ChannelHandlerContext ctx) {
            while (ctx.channel().isWritable() && floodWritten.get() < FLOOD_BYTES) {
                floodWritten.addAndGet(chunk.readableBytes());
                ctx.writeAndFlush(chunk.duplicate());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    static Duration waitFor() {
        return Duration.ofSeconds(30);
    }
}
