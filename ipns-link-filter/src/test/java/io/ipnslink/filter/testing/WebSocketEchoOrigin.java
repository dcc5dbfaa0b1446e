package io.ipnslink.filter.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Netty web server on loopback: WebSocket echo on {@code /ws} (greets with a text message
 * {@value #GREETING} right behind its 101, then echoes text and binary messages up to 2 MiB);
 * {@code /ws?slow} is the same echo reading slowly: one whole message at a time, the next read
 * only after its echo was written and a pause of {@value #SLOW_PAUSE_MILLIS} ms;
 * {@code /refuse} answers 403 with {@value #REFUSAL}; {@code /big} {@value #BIG} zero bytes;
 * anything else 200 {@code hello PATH}.
 */
public final class WebSocketEchoOrigin implements AutoCloseable {
    public static final String GREETING = "welcome";
    public static final String REFUSAL = "no WebSocket here";
    /** Size of the zero-filled answer to {@code /big}. */
    public static final int BIG = 3 << 20;
    private static final int MAX_MESSAGE = 2 << 20;
    /** Pause of a slow echo ({@code /ws?slow}) before it reads on. */
    public static final long SLOW_PAUSE_MILLIS = 2;

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel server;
    private final AtomicReference<HttpHeaders> handshakeHeaders = new AtomicReference<>();

    public WebSocketEchoOrigin() throws InterruptedException {
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder().websocketPath("/ws")
                .checkStartsWith(true).maxFramePayloadLength(MAX_MESSAGE).handshakeTimeoutMillis(5_000).build();
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new WebSocketServerProtocolHandler(ws), new WebSocketFrameAggregator(MAX_MESSAGE),
                                new Handler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The headers of the last WebSocket handshake request the origin accepted. */
    public HttpHeaders handshakeHeaders() {
        return handshakeHeaders.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private boolean slow;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hc) {
                handshakeHeaders.set(hc.requestHeaders());
                ctx.writeAndFlush(new TextWebSocketFrame(GREETING));
                if (hc.requestUri().contains("?slow")) {
                    slow = true;
                    ctx.channel().config().setAutoRead(false);
                    ctx.read();
                }
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
                // echo (the frame goes back out as it came)
                if (slow) {
                    ctx.writeAndFlush(msg).addListener(f -> ctx.executor().schedule(() -> {
                        ctx.read();
                    }, SLOW_PAUSE_MILLIS, TimeUnit.MILLISECONDS));
                } else {
                    ctx.writeAndFlush(msg);
                }
                return;
            }
            try {
                if (msg instanceof FullHttpRequest req) {
                    boolean refuse = req.uri().startsWith("/refuse");
                    byte[] body = req.uri().startsWith("/big") ? new byte[BIG]
                            : (refuse ? REFUSAL : "hello " + req.uri()).getBytes(StandardCharsets.UTF_8);
                    FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            refuse ? HttpResponseStatus.FORBIDDEN : HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
                    resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                    resp.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
                    resp.headers().set(HttpHeaderNames.CONNECTION, "close");
                    ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
