package io.ipnslink.exposer.tunnel;

import io.ipnslink.p2p.Stream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/1.1 exchange of one libp2p stream, relayed to the origin over a pooled connection.
 * Everything runs on the stream's event loop (the origin-side handler is added with that loop as
 * its executor), so there is no shared state between threads. Backpressure: both channels read
 * only on demand; the next chunk is requested when the other side is writable.
 */
final class StreamExchange extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(StreamExchange.class);

    /**
     * Response header on answers the exposer makes itself (origin down, slow, broken; bad request):
     * its value names the failure, e.g. {@code origin-unreachable}, {@code origin-timeout}.
     */
    public static final String ERROR_HEADER = "IpnsLink-Error";

    /** Hop-by-hop headers, lower case (Content-Length stays: it frames the body). */
    static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");
    static final String VIA = "1.1 ipns-link-exposer";

    private final Stream stream;
    private final SiteConfig site;
    private final OriginPool pool;
    private final TunnelConfig config;
    private final TunnelStats.Site stats;
    private final String id;

    private final ArrayDeque<HttpObject> early = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Channel origin;
    private boolean requestSeen;
    private boolean requestDone;
    private boolean responseStarted;
    private boolean originKeepAlive;
    private boolean done;
    private ScheduledFuture<?> firstByteTimer;

    StreamExchange(Stream stream, SiteConfig site, OriginPool pool, TunnelConfig config, TunnelStats.Site stats) {
        this.stream = stream;
        this.site = site;
        this.pool = pool;
        this.config = config;
        this.stats = stats;
        this.id = stream.channel().id().asShortText();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        stats.streamOpened();
        ctx.channel().config().setAutoRead(false);
        ctx.channel().read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof HttpObject)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req) {
            if (requestSeen) {
                ReferenceCountUtil.release(msg); // one exchange per stream
                return;
            }
            requestSeen = true;
            stats.request();
            if (req.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                answer(HttpResponseStatus.BAD_REQUEST, "bad-request", "bad request: " + req.decoderResult().cause().getMessage());
                return;
            }
            if (req.headers().contains(HttpHeaderNames.UPGRADE)) {
                ReferenceCountUtil.release(msg);
                answer(HttpResponseStatus.NOT_IMPLEMENTED, "upgrade-unsupported", "protocol upgrades (WebSocket) are not tunnelled yet");
                return;
            }
            early.add(originRequest(req));
            if (msg instanceof HttpContent c) {
                onRequestContent(c);
            }
            pool.acquire(ctx.executor().newPromise()).addListener(this::onOrigin);
            return;
        }
        onRequestContent((HttpContent) msg);
    }

    private void onRequestContent(HttpContent c) {
        stats.bytesIn(c.content().readableBytes());
        boolean last = c instanceof LastHttpContent;
        if (origin == null) {
            early.add(c);
        } else {
            origin.write(c);
            origin.flush();
        }
        if (last) {
            requestDone = true;
            if (origin != null) {
                startFirstByteTimer();
                origin.read();
            }
        } else if (origin != null && origin.isWritable()) {
            ctx.channel().read();
        }
    }

    private HttpRequest originRequest(HttpRequest req) {
        HttpRequest out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri());
        copyEndToEnd(req.headers(), out.headers());
        out.headers().set(HttpHeaderNames.HOST, site.originHost());
        String via = req.headers().get(HttpHeaderNames.VIA);
        out.headers().set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
        if (HttpUtil.isTransferEncodingChunked(req)) {
            HttpUtil.setTransferEncodingChunked(out, true);
        }
        return out;
    }

    static void copyEndToEnd(HttpHeaders from, HttpHeaders to) {
        Set<String> named = new HashSet<>();
        for (String v : from.getAll(HttpHeaderNames.CONNECTION)) {
            for (String t : v.split(",")) {
                named.add(t.trim().toLowerCase(Locale.ROOT));
            }
        }
        for (String name : from.names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(lower) && !named.contains(lower)) {
                to.add(name, from.getAll(name));
            }
        }
    }

    private void onOrigin(Future<? super Channel> f) {
        if (done) {
            if (f.isSuccess()) {
                pool.release((Channel) f.getNow(), false);
            }
            return;
        }
        if (!f.isSuccess()) {
            stats.error("origin-unreachable");
            answer(HttpResponseStatus.BAD_GATEWAY, "origin-unreachable", "origin " + site.origin() + " unreachable: " + f.cause().getMessage());
            return;
        }
        origin = (Channel) f.getNow();
        origin.pipeline().addLast(ctx.executor(), "exchange", new FromOrigin());
        HttpObject o;
        while ((o = early.poll()) != null) {
            origin.write(o);
        }
        origin.flush();
        if (requestDone) {
            startFirstByteTimer();
            origin.read();
        } else {
            ctx.channel().read();
        }
    }

    private void startFirstByteTimer() {
        if (firstByteTimer == null && !responseStarted) {
            firstByteTimer = ctx.executor().schedule(() -> {
                if (!responseStarted && !done) {
                    stats.error("origin-timeout");
                    answer(HttpResponseStatus.GATEWAY_TIMEOUT, "origin-timeout", "origin sent no answer within "
                            + config.firstByteTimeout().toMillis() + " ms");
                }
            }, config.firstByteTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Ends the exchange with a short plain-text answer, or a reset when the response already started.
     * The answer carries {@link #ERROR_HEADER} with {@code kind}, so a gateway can tell the exposer's
     * own answers from the origin's (an unreachable origin is shown like an offline site).
     */
    private void answer(HttpResponseStatus status, String kind, String reason) {
        if (done) {
            return;
        }
        LOG.debug("[{}] {} for {}: {}", id, status.code(), site.name(), reason);
        if (responseStarted) {
            finish(false);
            stream.reset();
            return;
        }
        finish(false);
        byte[] body = (status.code() + " " + status.reasonPhrase() + ": " + reason + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        r.headers().set(HttpHeaderNames.VIA, VIA);
        r.headers().set(ERROR_HEADER, kind);
        ctx.writeAndFlush(r).addListener(x -> stream.close());
    }

    /** Marks the exchange finished and gives the origin connection back (or closes it). */
    private void finish(boolean originReusable) {
        done = true;
        if (firstByteTimer != null) {
            firstByteTimer.cancel(false);
        }
        HttpObject o;
        while ((o = early.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
        if (origin != null) {
            Channel ch = origin;
            origin = null;
            if (ch.pipeline().get("exchange") != null) {
                ch.pipeline().remove("exchange");
            }
            pool.release(ch, originReusable);
        }
        stats.streamClosed();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && origin != null && responseStarted) {
            origin.read();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            stats.error("idle");
            answer(HttpResponseStatus.GATEWAY_TIMEOUT, "idle", "no data for " + config.idleTimeout().toMillis() + " ms");
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            finish(false); // the gateway went away: the origin connection is not reusable
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("[{}] stream failed: {}", id, cause.toString());
        if (!done) {
            finish(false);
        }
        ctx.close();
    }

    /** Origin side of the exchange; runs on the stream's event loop. */
    private final class FromOrigin extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext octx, Object msg) {
            if (done || !(msg instanceof HttpObject)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpResponse resp) {
                if (resp.decoderResult().isFailure()) {
                    ReferenceCountUtil.release(msg);
                    stats.error("bad-response");
                    answer(HttpResponseStatus.BAD_GATEWAY, "bad-response", "origin answered something that is not HTTP/1.1");
                    return;
                }
                if (resp.status().code() == 100) {
                    ReferenceCountUtil.release(msg);
                    octx.channel().read();
                    return;
                }
                responseStarted = true;
                if (firstByteTimer != null) {
                    firstByteTimer.cancel(false);
                }
                originKeepAlive = HttpUtil.isKeepAlive(resp);
                HttpResponse out = new DefaultHttpResponse(HttpVersion.HTTP_1_1, resp.status());
                copyEndToEnd(resp.headers(), out.headers());
                String via = resp.headers().get(HttpHeaderNames.VIA);
                out.headers().set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
                if (HttpUtil.isTransferEncodingChunked(resp)) {
                    HttpUtil.setTransferEncodingChunked(out, true);
                }
                ctx.write(out);
            }
            if (msg instanceof HttpContent c) {
                stats.bytesOut(c.content().readableBytes());
                if (c instanceof LastHttpContent) {
                    ctx.writeAndFlush(c).addListener(x -> stream.close());
                    finish(originKeepAlive && requestDone);
                    return;
                }
                ctx.writeAndFlush(c);
            } else {
                ctx.flush();
            }
            if (ctx.channel().isWritable()) {
                octx.channel().read();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext octx) throws Exception {
            if (octx.channel().isWritable() && !requestDone && !done) {
                ctx.channel().read();
            }
            super.channelWritabilityChanged(octx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext octx) {
            if (!done) {
                stats.error("origin-closed");
                answer(HttpResponseStatus.BAD_GATEWAY, "origin-closed", "origin closed the connection before answering");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext octx, Throwable cause) {
            if (!done) {
                stats.error("origin-failed");
                answer(HttpResponseStatus.BAD_GATEWAY, "origin-failed", "origin connection failed: " + cause.getMessage());
            }
            octx.close();
        }
    }
}
