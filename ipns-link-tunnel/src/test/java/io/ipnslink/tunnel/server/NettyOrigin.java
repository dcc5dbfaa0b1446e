package io.ipnslink.tunnel.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Netty origin on loopback for the tunnel tests:
 * <ul>
 *   <li>{@code /ws}: WebSocket (RFC 6455) echo; greets with the text {@code hello <Host header>}
 *       right after the handshake; the message {@code bye} (text or binary) makes it send a close frame (1000, "bye")
 *       and close the connection;</li>
 *   <li>{@code /reset}: a 200 announcing 1 MiB, 256 KiB of it, then a TCP reset;</li>
 *   <li>an upgrade request elsewhere than /ws: {@code 403 no upgrade on <path>} (keep-alive);</li>
 *   <li>anything else: {@code 200 ok <path>}.</li>
 * </ul>
 * The headers of every WebSocket handshake and every closed WebSocket connection are recorded.
 * With a server {@link io.netty.handler.ssl.SslContext} it is an {@code https://} origin: it records
 * the SNI name of each TLS connection, and counts the connections it accepted.
 */
final class NettyOrigin implements AutoCloseable {
    static final int MAX_FRAME = 2 << 20;
    static final int RESET_ANNOUNCED = 1 << 20;
    static final int RESET_SENT = 256 << 10;

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel server;
    final BlockingQueue<HttpHeaders> handshakes = new LinkedBlockingQueue<>();
    final BlockingQueue<String> wsClosed = new LinkedBlockingQueue<>();
    /** The SNI name of each TLS connection ("-" when the client sent none). */
    final BlockingQueue<String> sniNames = new LinkedBlockingQueue<>();
    /** Host header of each plain request. */
    final BlockingQueue<String> hosts = new LinkedBlockingQueue<>();
    final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();

    NettyOrigin() throws InterruptedException {
        this(null);
    }

    /** @param tls null: plain HTTP */
    NettyOrigin(io.netty.handler.ssl.SslContext tls) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        if (tls != null) {
                            ch.pipeline().addLast(new io.netty.handler.ssl.SniHandler(
                                    (io.netty.util.Mapping<String, io.netty.handler.ssl.SslContext>) host -> {
                                        sniNames.add(host == null ? "-" : host);
                                        return tls;
                                    }));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                        .websocketPath("/ws").maxFramePayloadLength(MAX_FRAME).build()),
                                new Echo(), new Plain(hosts));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Echo extends SimpleChannelInboundHandler<WebSocketFrame> {
        private boolean upgraded;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hc) {
                upgraded = true;
                handshakes.add(hc.requestHeaders().copy());
                ctx.writeAndFlush(new TextWebSocketFrame("hello " + hc.requestHeaders().get(HttpHeaderNames.HOST)));
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame f) {
            boolean data = f instanceof TextWebSocketFrame || f instanceof BinaryWebSocketFrame;
            if (data && f.content().toString(StandardCharsets.UTF_8).equals("bye")) {
                ctx.writeAndFlush(new CloseWebSocketFrame(1000, "bye")).addListener(ChannelFutureListener.CLOSE);
            } else if (data) {
                ctx.writeAndFlush(f.retain());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (upgraded) {
                wsClosed.add(ctx.channel().remoteAddress().toString());
            }
            super.channelInactive(ctx);
        }
    }

    private static final class Plain extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final BlockingQueue<String> hosts;

        Plain(BlockingQueue<String> hosts) {
            this.hosts = hosts;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            hosts.add(String.valueOf(req.headers().get(HttpHeaderNames.HOST)));
            if (req.uri().equals("/reset")) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                head.headers().set(HttpHeaderNames.CONTENT_LENGTH, RESET_ANNOUNCED);
                ctx.write(head);
                ByteBuf part = Unpooled.buffer(RESET_SENT).writeZero(RESET_SENT);
                ctx.writeAndFlush(part).addListener(f -> {
                    ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                    ctx.close();
                });
                return;
            }
            boolean upgrade = req.headers().contains(HttpHeaderNames.UPGRADE);
            byte[] body = ((upgrade ? "no upgrade on " : "ok ") + req.uri()).getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    upgrade ? HttpResponseStatus.FORBIDDEN : HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
            r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            ctx.writeAndFlush(r);
        }
    }
}
