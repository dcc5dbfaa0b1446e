package io.ipnslink.p2p;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shape the exposer and the gateway use: Netty's HTTP/1.1 server codec on an inbound stream,
 * the client codec on an outbound one, one exchange per stream.
 */
class HttpOverStreamTest {
    static final String HTTP_PROTOCOL = "/x/test-site/http";
    static final int MAX_BODY = 4 << 20;

    private Host exposer;
    private Host gateway;

    @BeforeEach
    void start() throws P2pException {
        exposer = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .protocol(ProtocolBinding.of(HTTP_PROTOCOL, stream -> stream.channel().pipeline().addLast(
                        new HttpServerCodec(), new HttpObjectAggregator(MAX_BODY), new Origin())))
                .build().start();
        gateway = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2).build().start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        exposer.close();
    }

    /** Answers GET with the path, POST with the body's SHA-256; closes the stream after the response. */
    static final class Origin extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            String text = req.method() == HttpMethod.POST
                    ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ByteBufUtil.getBytes(req.content())))
                    : "hello " + req.uri() + " host=" + req.headers().get(HttpHeaderNames.HOST);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
            HttpUtil.setContentLength(res, res.content().readableBytes());
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private CompletableFuture<FullHttpResponse> exchange(FullHttpRequest request) {
        CompletableFuture<FullHttpResponse> response = new CompletableFuture<>();
        gateway.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(HTTP_PROTOCOL),
                stream -> stream.channel().pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_BODY),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
                                response.complete(msg.retainedDuplicate());
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                response.completeExceptionally(new P2pException.ConnectionClosed("no response"));
                            }
                        }))
                .thenAccept(stream -> stream.channel().writeAndFlush(request))
                .exceptionally(e -> {
                    response.completeExceptionally(e);
                    return null;
                });
        return response;
    }

    @Test
    void getRequestsOnSeparateStreamsShareOneConnection() throws Exception {
        for (String path : List.of("/", "/a/b?c=d", "/index.html")) {
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            req.headers().set(HttpHeaderNames.HOST, "site.example");
            FullHttpResponse res = exchange(req).get(10, TimeUnit.SECONDS);
            assertEquals(200, res.status().code());
            assertEquals("hello " + path + " host=site.example", res.content().toString(StandardCharsets.UTF_8));
            res.release();
        }
        assertEquals(1, gateway.connections().size());
    }

    @Test
    void postBodyOfThreeMebibytesArrivesIntact() throws Exception {
        byte[] body = new byte[3 << 20];
        new Random(3).nextBytes(body);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload",
                Unpooled.wrappedBuffer(body));
        HttpUtil.setContentLength(req, body.length);
        FullHttpResponse res = exchange(req).get(20, TimeUnit.SECONDS);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)),
                res.content().toString(StandardCharsets.UTF_8));
        res.release();
    }

    @Test
    void parallelRequestsEachGetTheirOwnAnswer() throws Exception {
        List<CompletableFuture<FullHttpResponse>> all = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(exchange(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/p" + i)));
        }
        for (int i = 0; i < 50; i++) {
            FullHttpResponse res = all.get(i).get(20, TimeUnit.SECONDS);
            assertEquals("hello /p" + i + " host=null", res.content().toString(StandardCharsets.UTF_8));
            res.release();
        }
    }
}
