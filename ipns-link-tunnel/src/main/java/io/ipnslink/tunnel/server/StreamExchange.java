package io.ipnslink.tunnel.server;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.p2p.Stream;
import io.ipnslink.tunnel.ForwardingHeaders;
import io.ipnslink.tunnel.HopByHop;
import io.ipnslink.tunnel.TunnelErrors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 exchanges of one libp2p stream, each relayed to the origin over a pooled connection.
 * Everything runs on the stream's event loop (the origin-side handler is added with that loop as
 * its executor), so there is no shared state between threads. Backpressure: both channels read
 * only on demand; the next chunk is requested when the other side is writable.
 *
 * <p>Keep-alive: when the gateway's request allows it (HTTP/1.1 without {@code Connection: close})
 * the stream stays open after the answer and the next request is read from it, one exchange after
 * the other, as on a persistent HTTP/1.1 connection. An answer the origin delimits by closing its
 * connection is re-framed in chunks so that the stream can stay open. The stream is closed after
 * the answer instead when the request said {@code Connection: close}, when the gateway sent a
 * second request before the first was answered (pipelining: it is dropped, the answer says
 * {@code Connection: close} when it had not started yet), when the answer ended before the request
 * body, and after every error answer. A stream that waits for its next request longer than the
 * idle timeout, or that the gateway half-closes between requests, is closed quietly.
 *
 * <p>An upgrade request ({@code Connection: Upgrade} with an {@code Upgrade} header, e.g. WebSocket)
 * goes to the origin over a fresh connection that is never pooled. When the origin answers
 * {@code 101}, the answer is relayed, the HTTP codecs leave both pipelines and an
 * {@link UpgradeRelay} takes this handler's place on both channels. Any other answer is relayed as
 * a normal response and both connections are closed.
 */
final class StreamExchange extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(StreamExchange.class);

    /** Response header on answers the exposer makes itself: {@link TunnelErrors#HEADER}. */
    public static final String ERROR_HEADER = TunnelErrors.HEADER;
    /** The exposer's Via token ({@link HopByHop#VIA_EXPOSER}). */
    static final String VIA = HopByHop.VIA_EXPOSER;
    /** Name of the exchange's handler in the stream's and the origin connection's pipelines. */
    static final String HANDLER = "exchange";

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
    /** {@link System#nanoTime} when the current request's head arrived (origin latency). */
    private long requestNanos;
    /** The request's method (HEAD answers have no body whatever their headers say). */
    private String requestMethod;
    /** The gateway's request allows the stream to carry another exchange after this one. */
    private boolean requestKeepAlive;
    /** A request arrived before the current one was answered: dropped, and the stream ends after the answer. */
    private boolean pipelined;
    /** Counts the exchanges of this stream; callbacks of an earlier exchange check it and stand down. */
    private int generation;

    /** The request asks for a protocol upgrade: fresh origin connection, never pooled. */
    private boolean upgrade;
    /** Raw bytes the gateway sent after the upgrade request, held until the origin's 101. */
    private final ArrayDeque<ByteBuf> rawEarly = new ArrayDeque<>();
    /** The gateway half-closed the stream (yamux FIN): no further request can come. */
    private boolean streamInputDone;
    /** The stream was counted as closed (once: when this side closes it, or when it went inactive). */
    private boolean closeCounted;

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

    // ---- gateway -> origin: the request ----------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf raw) {
            holdUpgradeBytes(raw);
            return;
        }
        if (!(msg instanceof HttpObject)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req) {
            onRequestHead(req);
            return;
        }
        if (!requestSeen || requestDone) {
            // the decoder's end marker after it was taken out (upgrade), or the body of a dropped
            // pipelined request
            ReferenceCountUtil.release(msg);
            return;
        }
        onRequestContent((HttpContent) msg);
    }

    private void onRequestHead(HttpRequest req) {
        if (requestSeen) {
            // sent before the current request was answered: not served (the stream ends after
            // the current answer; HTTP/1.1 clients that pipeline retry what was not answered)
            pipelined = true;
            ReferenceCountUtil.release(req);
            return;
        }
        requestSeen = true;
        requestNanos = System.nanoTime();
        stats.request();
        if (req.decoderResult().isFailure()) {
            ReferenceCountUtil.release(req);
            answer(HttpResponseStatus.BAD_REQUEST, TunnelErrors.BAD_REQUEST,
                    "bad request: " + req.decoderResult().cause().getMessage());
            return;
        }
        requestMethod = req.method().name();
        requestKeepAlive = HttpUtil.isKeepAlive(req);
        upgrade = HopByHop.isUpgradeRequest(req);
        early.add(originRequest(req));
        if (req instanceof HttpContent c) {
            onRequestContent(c);
        }
        int gen = generation;
        if (upgrade) {
            pool.connectFresh(ctx.channel().eventLoop(), ctx.executor().newPromise()).addListener(f -> onOrigin(f, gen));
        } else {
            pool.acquire(ctx.channel().eventLoop(), ctx.executor().newPromise()).addListener(f -> onOrigin(f, gen));
        }
    }

    /** Bytes after an upgrade request: held until the origin's 101 hands them to the {@link UpgradeRelay}. */
    private void holdUpgradeBytes(ByteBuf raw) {
        if (!upgrade || !requestDone) {
            raw.release(); // no raw bytes outside an upgrade
            return;
        }
        rawEarly.add(raw);
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
            if (upgrade) {
                // From here on the gateway may send the new protocol's bytes (before the 101 even):
                // stop parsing them as HTTP. What the decoder still holds comes back as raw ByteBufs.
                HttpServerCodec codec = ctx.pipeline().get(HttpServerCodec.class);
                if (codec != null) {
                    codec.removeInboundHandler();
                }
            }
            if (origin != null) {
                startFirstByteTimer();
                origin.read();
            }
        } else if (origin != null && origin.isWritable()) {
            ctx.channel().read();
        }
    }

    /**
     * The request as the origin gets it: the decoded head itself with its hop-by-hop headers taken
     * out (one header table per request, not a copy), then Host, Via, the forwarding headers
     * ({@link #forwardingHeaders}) and the framing set.
     */
    private HttpRequest originRequest(HttpRequest req) {
        String via = req.headers().get(HttpHeaderNames.VIA);
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        String upgradeTo = upgrade ? req.headers().get(HttpHeaderNames.UPGRADE) : null;
        HttpRequest out;
        if (req instanceof HttpContent) {
            // a head that carries content too: the content goes its own way, so only the head is copied
            out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri());
            HopByHop.copyEndToEnd(req.headers(), out.headers());
        } else {
            HopByHop.strip(req.headers());
            req.setProtocolVersion(HttpVersion.HTTP_1_1);
            out = req;
        }
        // the gateway sends the body right after the head: there is nothing left to expect, and an
        // origin's 100 Continue would only be read over (RFC 9110 10.1.1)
        out.headers().remove(HttpHeaderNames.EXPECT);
        out.headers().set(HttpHeaderNames.HOST, site.originHost());
        out.headers().set(HttpHeaderNames.VIA, HopByHop.appendVia(via, VIA));
        forwardingHeaders(out);
        if (chunked) {
            HttpUtil.setTransferEncodingChunked(out, true);
        }
        if (upgradeTo != null) {
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            out.headers().set(HttpHeaderNames.UPGRADE, upgradeTo);
        }
        return out;
    }

    /**
     * The forwarding headers the origin gets: a trusted gateway's as it sent them
     * ({@link TunnelConfig#trustedGateways}); from any other peer none of its own, only the peer's
     * address as {@code X-Forwarded-For} and {@code Forwarded: for=} (what the exposer knows itself).
     */
    private void forwardingHeaders(HttpRequest out) {
        PeerId peer = remotePeer();
        if (peer != null && config.trustedGateways().contains(peer)) {
            return;
        }
        ForwardingHeaders.strip(out.headers());
        String address = peerAddress();
        if (address != null) {
            out.headers().set("X-Forwarded-For", address);
            out.headers().set("Forwarded", "for=" + ForwardingHeaders.forwardedNode(address));
        }
    }

    /** The peer at the other end, or null when the stream has no connection to tell (never trusted). */
    private PeerId remotePeer() {
        try {
            return stream.remotePeer();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The IP address of the peer's connection, or null when it has none (not TCP). */
    private String peerAddress() {
        try {
            return stream.connection().remoteAddress().toTcpSocketAddress()
                    .map(a -> a.getAddress() == null ? null : a.getAddress().getHostAddress()).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void onOrigin(Future<? super Channel> f, int gen) {
        if (done || gen != generation) {
            if (f.isSuccess()) {
                pool.release((Channel) f.getNow(), false);
            }
            return;
        }
        if (f.cause() instanceof OriginTlsException tlsFailure) {
            stats.error(TunnelErrors.ORIGIN_TLS);
            answer(HttpResponseStatus.BAD_GATEWAY, TunnelErrors.ORIGIN_TLS,
                    "origin " + site.origin() + ": " + tlsFailure.getMessage());
            return;
        }
        if (!f.isSuccess()) {
            stats.error(TunnelErrors.ORIGIN_UNREACHABLE);
            answer(HttpResponseStatus.BAD_GATEWAY, TunnelErrors.ORIGIN_UNREACHABLE,
                    "origin " + site.origin() + " unreachable: " + f.cause().getMessage());
            return;
        }
        origin = (Channel) f.getNow();
        origin.pipeline().addLast(ctx.executor(), HANDLER, new FromOrigin());
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
            int gen = generation;
            firstByteTimer = ctx.executor().schedule(() -> {
                if (!responseStarted && !done && gen == generation) {
                    stats.error(TunnelErrors.ORIGIN_TIMEOUT);
                    answer(HttpResponseStatus.GATEWAY_TIMEOUT, TunnelErrors.ORIGIN_TIMEOUT, "origin sent no answer within "
                            + config.firstByteTimeout().toMillis() + " ms");
                }
            }, config.firstByteTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // ---- origin -> gateway: the answer -----------------------------------------------------------

    /** The origin's answer head (not 1xx): relayed as it came, its hop-by-hop headers out, framed for the stream. */
    private void onAnswerHead(HttpResponse resp) {
        responseStarted = true;
        stats.answered(resp.status().code(), System.nanoTime() - requestNanos);
        if (firstByteTimer != null) {
            firstByteTimer.cancel(false);
        }
        originKeepAlive = HttpUtil.isKeepAlive(resp);
        String via = resp.headers().get(HttpHeaderNames.VIA);
        boolean chunked = HttpUtil.isTransferEncodingChunked(resp);
        HttpResponse out;
        if (resp instanceof HttpContent) {
            out = new DefaultHttpResponse(HttpVersion.HTTP_1_1, resp.status());
            HopByHop.copyEndToEnd(resp.headers(), out.headers());
        } else {
            HopByHop.strip(resp.headers()); // the decoded head goes on, without a copy
            resp.setProtocolVersion(HttpVersion.HTTP_1_1);
            out = resp;
        }
        out.headers().set(HttpHeaderNames.VIA, HopByHop.appendVia(via, VIA));
        boolean keep = keepStreamAfterAnswer();
        if (chunked) {
            HttpUtil.setTransferEncodingChunked(out, true);
        } else if (keep && answerHasBody(resp) && !HttpUtil.isContentLengthSet(resp)) {
            // the origin ends this body by closing its connection; the stream stays open, so
            // the gateway learns where the body ends from the chunks
            HttpUtil.setTransferEncodingChunked(out, true);
        }
        if (!keep) {
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.write(out);
    }

    /** A piece of the answer's body; the last one ends the exchange (and the stream, or starts the next exchange). */
    private boolean onAnswerContent(HttpContent c) {
        stats.bytesOut(c.content().readableBytes());
        if (c instanceof LastHttpContent) {
            boolean originReusable = originKeepAlive && requestDone;
            if (requestDone && keepStreamAfterAnswer()) {
                ctx.writeAndFlush(c);
                finish(originReusable);
                nextExchange();
            } else {
                ctx.writeAndFlush(c).addListener(x -> closeStream());
                finish(originReusable);
            }
            return true;
        }
        ctx.writeAndFlush(c);
        return false;
    }

    /**
     * The origin's 101: relayed, then the HTTP codecs leave both pipelines and the {@link UpgradeRelay}
     * takes this exchange's place on both channels with what the gateway sent early.
     */
    private void switchProtocols(ChannelHandlerContext octx, HttpResponse resp) {
        responseStarted = true;
        stats.answered(101, System.nanoTime() - requestNanos);
        if (firstByteTimer != null) {
            firstByteTimer.cancel(false);
        }
        HttpResponse out = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        HopByHop.copyEndToEnd(resp.headers(), out.headers());
        out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        out.headers().set(HttpHeaderNames.UPGRADE, resp.headers().get(HttpHeaderNames.UPGRADE));
        out.headers().set(HttpHeaderNames.VIA, HopByHop.appendVia(resp.headers().get(HttpHeaderNames.VIA), VIA));
        ctx.write(out);
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        stats.upgrade();
        LOG.debug("[{}] {} upgraded to {}", id, site.name(), resp.headers().get(HttpHeaderNames.UPGRADE));
        done = true; // this handler's part is over; the relay's begins
        Channel o = origin;
        origin = null;
        UpgradeRelay.install(stream, ctx, o, octx, rawEarly, streamInputDone, stats, id);
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
            countClosed();
            stream.reset();
            return;
        }
        finish(false);
        stats.answered(status.code(), -1);
        byte[] body = (status.code() + " " + status.reasonPhrase() + ": " + reason + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        r.headers().set(HttpHeaderNames.VIA, VIA);
        r.headers().set(ERROR_HEADER, kind);
        ctx.writeAndFlush(r).addListener(x -> closeStream());
    }

    /** Closes the stream, counted as closed first (a peer that sees it closed sees the counters agree). */
    private void closeStream() {
        countClosed();
        stream.close();
    }

    private void countClosed() {
        if (!closeCounted) {
            closeCounted = true;
            stats.streamClosed();
        }
    }

    /** Marks the exchange finished and gives the origin connection back (or closes it). */
    private void finish(boolean originReusable) {
        done = true;
        if (firstByteTimer != null) {
            firstByteTimer.cancel(false);
        }
        releaseHeld();
        if (origin != null) {
            Channel ch = origin;
            origin = null;
            if (ch.pipeline().get(HANDLER) != null) {
                ch.pipeline().remove(HANDLER);
            }
            pool.release(ch, originReusable && !upgrade);
        }
    }

    /**
     * The answer went out and the stream stays open: back to waiting for the gateway's next request
     * on it (the exchange's state starts over; callbacks of the one that ended see the new generation).
     */
    private void nextExchange() {
        generation++;
        requestSeen = false;
        requestDone = false;
        responseStarted = false;
        originKeepAlive = false;
        firstByteTimer = null;
        requestMethod = null;
        requestKeepAlive = false;
        done = false;
        ctx.channel().read();
    }

    /** Whether the stream can carry another exchange once this answer is out. */
    private boolean keepStreamAfterAnswer() {
        return requestKeepAlive && !pipelined && !upgrade && !streamInputDone;
    }

    /** Whether the answer can carry a body (HEAD, 1xx, 204 and 304 answers have none). */
    private boolean answerHasBody(HttpResponse resp) {
        int code = resp.status().code();
        return !"HEAD".equals(requestMethod) && code >= 200 && code != 204 && code != 304;
    }

    private void releaseHeld() {
        HttpObject o;
        while ((o = early.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
        ByteBuf b;
        while ((b = rawEarly.poll()) != null) {
            b.release();
        }
    }

    // ---- stream events ---------------------------------------------------------------------------

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
            if (!requestSeen) {
                LOG.debug("[{}] no request for {} ms: stream closed", id, config.idleTimeout().toMillis());
                countClosed();
                ctx.close();
                return;
            }
            stats.error(TunnelErrors.IDLE);
            answer(HttpResponseStatus.GATEWAY_TIMEOUT, TunnelErrors.IDLE, "no data for " + config.idleTimeout().toMillis() + " ms");
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent) {
            streamInputDone = true;
            if (!upgrade && !requestSeen && !done) {
                countClosed();
                ctx.close(); // between requests: the gateway is done with this stream
            }
            // during an upgrade request the 101 hands the half-close on to the relay
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        countClosed();
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
        countClosed();
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
                    stats.error(TunnelErrors.BAD_RESPONSE);
                    answer(HttpResponseStatus.BAD_GATEWAY, TunnelErrors.BAD_RESPONSE,
                            "origin answered something that is not HTTP/1.1");
                    return;
                }
                if (resp.status().code() == 101) {
                    ReferenceCountUtil.release(msg);
                    if (!upgrade || !resp.headers().contains(HttpHeaderNames.UPGRADE)) {
                        stats.error(TunnelErrors.BAD_RESPONSE);
                        answer(HttpResponseStatus.BAD_GATEWAY, TunnelErrors.BAD_RESPONSE,
                                "origin switched protocols without a matching upgrade request");
                        return;
                    }
                    switchProtocols(octx, resp);
                    return;
                }
                if (resp.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                    // 100 Continue, 103 Early Hints: the real answer follows. The decoder ends an
                    // interim answer with an empty last content of its own: read over below.
                    ReferenceCountUtil.release(msg);
                    octx.channel().read();
                    return;
                }
                onAnswerHead(resp);
            } else if (!responseStarted) {
                // the end marker of an interim answer (or anything else before a final head): not
                // part of any answer; ending the exchange on it would cut the real answer off
                ReferenceCountUtil.release(msg);
                octx.channel().read();
                return;
            }
            if (msg instanceof HttpContent c) {
                if (onAnswerContent(c)) {
                    return;
                }
            } else {
                ctx.flush();
            }
            if (ctx.channel().isWritable()) {
                octx.channel().read();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext octx) throws Exception {
            if (octx.channel().isWritable() && !done && !requestDone && !streamInputDone) {
                ctx.channel().read();
            }
            super.channelWritabilityChanged(octx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext octx, Object evt) throws Exception {
            if (evt instanceof ChannelInputShutdownEvent) {
                // Only fresh (upgrade) connections allow half-closure. Before the 101, the decoder has
                // already ended an EOF-delimited body; a FIN without an answer means the origin is gone.
                if (!done) {
                    octx.close();
                }
                return;
            }
            super.userEventTriggered(octx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext octx) {
            if (!done) {
                stats.error(TunnelErrors.ORIGIN_CLOSED);
                answer(HttpResponseStatus.BAD_GATEWAY, TunnelErrors.ORIGIN_CLOSED, "origin closed the connection before answering");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext octx, Throwable cause) {
            if (!done) {
                stats.error(TunnelErrors.ORIGIN_FAILED);
                answer(HttpResponseStatus.BAD_GATEWAY, TunnelErrors.ORIGIN_FAILED, "origin connection failed: " + cause.getMessage());
            }
            octx.close();
        }
    }
}
