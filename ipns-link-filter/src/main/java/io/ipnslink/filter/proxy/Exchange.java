package io.ipnslink.filter.proxy;

import io.ipnslink.tunnel.TunnelErrors;
import io.ipnslink.p2p.IdleTimeoutHandler;
import io.ipnslink.p2p.Stream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import io.ipnslink.tunnel.client.StreamPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied request: visitor request (servlet async input) to stream, stream response to the
 * visitor (servlet async output), with backpressure both ways. All state changes happen under the
 * exchange's lock, so the container's listener threads and the stream's event loop never race.
 *
 * <p>The stream is either fresh ({@link #install} then {@link #start}) or one that carried an
 * earlier exchange and waited in the {@link StreamPool} ({@link #reuse}). When the answer ends and
 * both sides allow keep-alive, the stream goes (back) to the pool as soon as its last byte was read,
 * while the visitor may still be receiving. If a reused stream ends before any answer arrives
 * (the site closed it as it was taken), the request is repeated once on a fresh stream: reused
 * streams only carry requests without a body, so nothing of the visitor's was consumed.
 */
final class Exchange {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

    /** Bytes read from the visitor per chunk. */
    static final int REQUEST_CHUNK = 16 * 1024;
    /** HTTP/1.1 head limits for the site's answer. */
    static final int MAX_INITIAL_LINE = 8 * 1024;
    static final int MAX_HEADER_BYTES = 64 * 1024;
    static final int MAX_CHUNK = 64 * 1024;

    private final AsyncContext async;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final ProxyTarget target;
    private final ProxyConfig config;
    private final CompletableFuture<Void> result;
    private final String id;
    /** The request's method, read once (the request object is not touched after the container is done). */
    private final String method;
    /** The visitor's Content-Length (-1 when absent) and chunked framing, read once on the request's thread. */
    private final long contentLength;
    private final boolean chunked;
    /** The status of the site's answer, once its head arrived (for the log). */
    private volatile int status;

    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private Stream stream;
    private Channel channel;
    private ServletInputStream in;
    private ServletOutputStream out;
    private ScheduledFuture<?> firstByteTimer;
    private boolean finished;
    private boolean headReceived;
    private boolean lastReceived;
    private boolean noBody;
    private boolean waitingForWritable;
    /**
     * The container ended the visitor's request on its own (visitor gone, error, timeout) or saw
     * it completed: from then on its request and response objects may already serve another
     * connection, so nothing here touches them again.
     */
    private boolean containerDone;
    /** The site's stream is delivering a read batch (its handler's channelRead is running). */
    private boolean inSiteRead;
    /** Written to the visitor during a read batch: flush (and ask for more) when the batch ends. */
    private boolean flushAfterRead;
    /** Bytes of the visitor's body read so far (only the current pumper touches it). */
    private long requestBytes;
    /** A thread is reading the visitor's body ({@link FromVisitor#pump}). */
    private boolean pumping;
    /** Another pump was asked for meanwhile: the current pumper goes round once more. */
    private boolean pumpAgain;
    private String siteHost;
    /** The handler of the stream in use; handlers of an abandoned stream find they are not it. */
    private FromSite current;
    /** The stream carried an earlier exchange (from the pool): repeat on a fresh one if it is dead. */
    private boolean reused;
    /** The whole request went out on the stream (only then can the stream carry another). */
    private boolean requestComplete;
    /** The site's answer allows keep-alive (HTTP/1.1 without Connection: close). */
    private boolean siteKeepAlive;
    /** The stream went to the pool: this exchange no longer closes or resets it. */
    private boolean streamReleased;
    private StreamPool pool;
    private StreamPool.Key poolKey;
    private Runnable openFresh;

    Exchange(AsyncContext async, ProxyTarget target, ProxyConfig config, CompletableFuture<Void> result) {
        this.async = async;
        this.request = (HttpServletRequest) async.getRequest();
        this.response = (HttpServletResponse) async.getResponse();
        this.target = target;
        this.config = config;
        this.result = result;
        this.id = target.requestId();
        this.method = request.getMethod();
        this.contentLength = request.getContentLengthLong();
        this.chunked = headerHasToken("Transfer-Encoding", "chunked");
    }

    /**
     * Where the stream goes when the answer allows keep-alive, and how to get a fresh stream when a
     * reused one turns out to be dead. Set before the first stream is started.
     */
    void keepAliveVia(StreamPool pool, StreamPool.Key key, Runnable openFresh) {
        this.pool = pool;
        this.poolKey = key;
        this.openFresh = openFresh;
    }

    /** Installs the codecs on the fresh stream, before any byte of the site's answer arrives. */
    void install(Stream s) {
        Channel ch = s.channel();
        ch.config().setAutoRead(false);
        ch.pipeline().addLast("http", new HttpClientCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, MAX_CHUNK));
        ch.pipeline().addLast("idle", new IdleTimeoutHandler(config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        ch.pipeline().addLast(StreamPool.HANDLER, new FromSite());
    }

    /**
     * Takes over a stream claimed from the pool (on its event loop): this exchange's handler
     * replaces the waiting one, then the request goes out as on a fresh stream.
     */
    void reuse(Stream s) {
        s.channel().pipeline().replace(StreamPool.HANDLER, StreamPool.HANDLER, new FromSite());
        start(s, true);
    }

    /** The stream is negotiated: send the request head, then the body. */
    void start(Stream s) {
        start(s, false);
    }

    private void start(Stream s, boolean fromPool) {
        synchronized (this) {
            if (finished) {
                s.reset();
                return;
            }
            this.stream = s;
            this.channel = s.channel();
            this.reused = fromPool;
        }
        try {
            HttpRequest head = requestHead();
            long length = contentLength;
            if (length > config.maxRequestBodyBytes()) {
                fail(ProxyException.Kind.REQUEST_TOO_LARGE, "request body of " + length + " bytes is above the "
                        + config.maxRequestBodyBytes() + "-byte limit", null);
                return;
            }
            boolean hasBody = requestHasBody();
            if (length >= 0) {
                if (length > 0 || permitsBody(head.method())) {
                    HttpUtil.setContentLength(head, length);
                }
            } else if (chunked) {
                HttpUtil.setTransferEncodingChunked(head, true);
            }
            if (hasBody) {
                channel.writeAndFlush(head);
                in = request.getInputStream();
                in.setReadListener(fromVisitor());
            } else {
                synchronized (this) {
                    requestComplete = true; // before the write: the answer may come back on another thread first
                }
                // head and end in one message: one pass through the stream's pipeline
                channel.writeAndFlush(new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                        Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE));
            }
            synchronized (this) {
                if (!finished) {
                    firstByteTimer = channel.eventLoop().schedule(this::firstByteTimeout,
                            config.firstByteTimeout().toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            channel.read();
        } catch (IOException | RuntimeException e) {
            fail(ProxyException.Kind.CLIENT_GONE, "cannot read the request: " + e.getMessage(), e);
        }
    }

    /** Whether the visitor's request has a body. */
    boolean requestHasBody() {
        return contentLength > 0 || chunked;
    }

    private static boolean permitsBody(HttpMethod m) {
        return m.equals(HttpMethod.POST) || m.equals(HttpMethod.PUT) || m.equals(HttpMethod.PATCH);
    }

    private boolean headerHasToken(String name, String token) {
        for (String v : Collections.list(request.getHeaders(name))) {
            for (String t : v.split(",")) {
                if (t.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    private HttpRequest requestHead() {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.getMethod()),
                target.pathAndQuery());
        Set<String> named = HeaderRules.connectionNamed(Collections.list(request.getHeaders("Connection")));
        for (String name : Collections.list(request.getHeaderNames())) {
            if (HeaderRules.crosses(name, named)) {
                for (String v : Collections.list(request.getHeaders(name))) {
                    head.headers().add(name, v);
                }
            }
        }
        String manifestHost = target.manifest().host();
        siteHost = manifestHost != null && !manifestHost.isEmpty() ? manifestHost : target.name().toString();
        head.headers().set(HttpHeaderNames.HOST, siteHost);
        HeaderRules.addProxyHeaders(head.headers(), target);
        // no Connection: close: HTTP/1.1 keep-alive lets the stream carry the next request
        return head;
    }

    private void firstByteTimeout() {
        synchronized (this) {
            if (headReceived || finished) {
                return;
            }
        }
        fail(ProxyException.Kind.ORIGIN_TIMEOUT, "the site sent no answer within "
                + config.firstByteTimeout().toMillis() + " ms", null);
    }

    // ---- visitor -> site: request body -------------------------------------------------------

    private final class FromVisitor implements ReadListener {
        private final byte[] buf = new byte[REQUEST_CHUNK];

        @Override
        public void onDataAvailable() throws IOException {
            pump();
        }

        @Override
        public void onAllDataRead() {
            Channel ch;
            synchronized (Exchange.this) {
                if (finished) {
                    return;
                }
                ch = channel;
            }
            inOrder(ch, () -> {
                synchronized (Exchange.this) {
                    requestComplete = true;
                }
                ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            });
        }

        @Override
        public void onError(Throwable t) {
            fail(ProxyException.Kind.CLIENT_GONE, "the visitor's request body broke off: " + t.getMessage(), t);
        }

        /**
         * Reads the visitor's body while the stream takes more, from the container's threads
         * (onDataAvailable) or the stream's event loop (writable again). One pumper at a time: a
         * call while another thread pumps makes that one go round once more. The container's
         * input is never touched under the exchange's lock: Tomcat's {@code isReady()} on a
         * non-container thread takes the processor's dispatch lock, which its own threads hold
         * while they call our listeners, and those take the exchange's lock (a deadlock seen
         * between {@code onAllDataRead} and a pump after backpressure).
         */
        void pump() throws IOException {
            synchronized (Exchange.this) {
                if (pumping) {
                    pumpAgain = true;
                    return;
                }
                pumping = true;
            }
            boolean again;
            boolean wrote = false;
            boolean tooLarge = false;
            Channel ch = null;
            try {
                while (true) {
                    synchronized (Exchange.this) {
                        if (finished) {
                            return;
                        }
                        ch = channel;
                        if (!ch.isWritable()) {
                            waitingForWritable = true;
                            break;
                        }
                    }
                    if (!in.isReady()) {
                        break;
                    }
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    if (n == 0) {
                        continue;
                    }
                    requestBytes += n;
                    if (requestBytes > config.maxRequestBodyBytes()) {
                        tooLarge = true;
                        break;
                    }
                    Channel target = ch;
                    DefaultHttpContent chunk = new DefaultHttpContent(Unpooled.copiedBuffer(buf, 0, n));
                    inOrder(target, () -> target.write(chunk));
                    wrote = true;
                }
            } finally {
                synchronized (Exchange.this) {
                    pumping = false;
                    again = pumpAgain;
                    pumpAgain = false;
                }
            }
            if (tooLarge) {
                fail(ProxyException.Kind.REQUEST_TOO_LARGE, "request body is above the "
                        + config.maxRequestBodyBytes() + "-byte limit", null);
                return;
            }
            if (wrote) {
                Channel target = ch;
                inOrder(target, target::flush);
            }
            if (again) {
                pump();
            }
        }
    }

    /**
     * Runs a write as a task on the stream's event loop, also when already on it: the body is read
     * on container threads and (after backpressure) on the event loop, and a direct write from the
     * loop would overtake chunks a container thread queued just before. The task queue keeps the
     * order in which the chunks were read (they are read under the exchange's lock).
     */
    private static void inOrder(Channel ch, Runnable write) {
        ch.eventLoop().execute(write);
    }

    /** One reader per exchange: the container's listener and the writability callback share its buffer. */
    private FromVisitor fromVisitorInstance;

    private synchronized FromVisitor fromVisitor() {
        if (fromVisitorInstance == null) {
            fromVisitorInstance = new FromVisitor();
        }
        return fromVisitorInstance;
    }

    // ---- site -> visitor: response ---------------------------------------------------------------

    private final class FromSite extends ChannelInboundHandlerAdapter {
        FromSite() {
            synchronized (Exchange.this) {
                current = this;
            }
        }

        /** False for the handler of a stream this exchange gave up (a dead reused one). */
        private boolean isCurrent() {
            synchronized (Exchange.this) {
                return current == this;
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            synchronized (Exchange.this) {
                if (current != this) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                inSiteRead = true;
            }
            try {
                if (msg instanceof HttpResponse head) {
                    DecoderResult dr = head.decoderResult();
                    if (dr.isFailure()) {
                        fail(ProxyException.Kind.BAD_RESPONSE, "the site's answer is not HTTP/1.1: " + dr.cause(), dr.cause());
                        return;
                    }
                    if (head.status().code() >= 100 && head.status().code() < 200) {
                        ctx.read();
                        return; // interim answer; the real one follows
                    }
                    onHead(head);
                }
                if (msg instanceof HttpContent content) {
                    if (content.decoderResult().isFailure()) {
                        fail(ProxyException.Kind.BAD_RESPONSE, "broken body from the site", content.decoderResult().cause());
                        return;
                    }
                    onContent(content);
                }
            } finally {
                synchronized (Exchange.this) {
                    inSiteRead = false;
                }
                ReferenceCountUtil.release(msg);
            }
        }

        /**
         * End of a read batch: what it wrote goes to the visitor now, so an answer whose head and
         * body arrive together leaves in one write, and a stream of chunks is still flushed batch by
         * batch (server-sent events and long polls see each at once).
         */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!isCurrent()) {
                return;
            }
            boolean readMore = false;
            try {
                synchronized (Exchange.this) {
                    if (!flushAfterRead || finished || out == null) {
                        return;
                    }
                    flushAfterRead = false;
                    if (out.isReady()) { // else onWritePossible drains, flushes and reads on
                        out.flush();
                        readMore = out.isReady();
                    }
                }
            } catch (IOException | RuntimeException e) {
                fail(ProxyException.Kind.CLIENT_GONE, "the visitor went away: " + e.getMessage(), e);
                return;
            }
            if (readMore) {
                channel.read();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            boolean resume;
            synchronized (Exchange.this) {
                resume = current == this && ctx.channel().isWritable() && waitingForWritable && !finished;
                if (resume) {
                    waitingForWritable = false;
                }
            }
            if (resume) {
                try {
                    fromVisitor().pump();
                } catch (IOException e) {
                    fail(ProxyException.Kind.CLIENT_GONE, "the visitor's request body broke off", e);
                }
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (!isCurrent()) {
                return;
            }
            if (evt instanceof IdleStateEvent) {
                fail(headReceived() ? ProxyException.Kind.STREAM_RESET : ProxyException.Kind.ORIGIN_TIMEOUT,
                        "no data for " + config.idleTimeout().toMillis() + " ms", null);
                return;
            }
            if (evt instanceof ChannelInputShutdownEvent) {
                // the site ended its side: an answer that has not ended by now never will (an answer
                // delimited by the end of the stream was completed by the codec before this event)
                if (!lastReceived() && !retryOnFreshStream()) {
                    fail(ProxyException.Kind.STREAM_RESET, "the site closed the stream before the answer was complete", null);
                }
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (isCurrent() && !lastReceived() && !retryOnFreshStream()) {
                fail(ProxyException.Kind.STREAM_RESET, "the site's stream closed before the answer was complete", null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!isCurrent()) {
                return;
            }
            if (!headReceived() && retryOnFreshStream()) {
                return;
            }
            if (cause instanceof io.ipnslink.p2p.P2pException.NoSuchProtocol && !headReceived()) {
                // the stream was opened without waiting for the protocol answer; the peer said no
                fail(ProxyException.Kind.ORIGIN_UNREACHABLE, "the site's peer does not serve this site", cause);
                return;
            }
            fail(ProxyException.Kind.STREAM_RESET, "stream failed: " + cause.getMessage(), cause);
        }
    }

    private synchronized boolean headReceived() {
        return headReceived;
    }

    /**
     * A reused stream ended before any answer: the site closed it as this exchange took it. The
     * request (which has no body) is sent again on a fresh stream, once. False when this does not
     * apply and the caller fails the exchange.
     */
    private boolean retryOnFreshStream() {
        Stream dead;
        synchronized (this) {
            if (!reused || headReceived || finished || openFresh == null) {
                return false;
            }
            reused = false;
            dead = stream;
            stream = null;
            channel = null;
            current = null;
            requestComplete = false;
            if (firstByteTimer != null) {
                firstByteTimer.cancel(false);
                firstByteTimer = null;
            }
        }
        LOG.debug("[{}] the kept stream to {} was closed by the site: opening a fresh one", id, target.name());
        dead.reset();
        openFresh.run();
        return true;
    }

    /**
     * Called under the lock as the answer's last byte is read (on the stream's event loop): whether
     * the stream goes to the pool, namely when the whole request went out and both sides allow
     * keep-alive. If so this exchange lets go of it (the visitor may still be receiving what was
     * read; nothing more is read from the stream for this exchange) and the caller hands it over.
     */
    private boolean letGoOfStreamForPool() {
        if (pool == null || finished || streamReleased || !requestComplete || !siteKeepAlive || current == null) {
            return false;
        }
        current = null;
        streamReleased = true;
        return true;
    }

    private synchronized boolean lastReceived() {
        return lastReceived;
    }

    private void onHead(HttpResponse head) {
        ProxyException exposerFailure = exposerFailure(head);
        if (exposerFailure != null) {
            fail(exposerFailure);
            return;
        }
        synchronized (this) {
            if (finished) {
                return;
            }
            headReceived = true;
            if (firstByteTimer != null) {
                firstByteTimer.cancel(false);
            }
            int status = head.status().code();
            this.status = status;
            siteKeepAlive = HttpUtil.isKeepAlive(head);
            noBody = "HEAD".equalsIgnoreCase(method) || status == 204 || status == 304;
            response.setStatus(status);
            copyResponseHeaders(head, response, target, siteHost);
        }
        drain();
    }

    /**
     * Puts the visitor's output in non-blocking mode with this exchange as its write listener.
     * Called when the exchange is made, on the request's thread when the site was known at once:
     * the container then calls the listener's first {@code onWritePossible} as that thread leaves
     * the filter instead of handing a dispatch to another thread per request (which it does when the
     * listener is set from another thread, as the answer's arrival would be). Nothing is written
     * before the site's answer head arrives; an error page written instead is a single write, which
     * non-blocking mode takes at once.
     */
    void listen() throws IOException {
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                containerEnded("completed");
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                containerEnded("timed out");
            }

            @Override
            public void onError(AsyncEvent event) {
                containerEnded("error: " + event.getThrowable());
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                // not ours
            }
        });
        ServletOutputStream o = response.getOutputStream();
        o.setWriteListener(new ToVisitor());
        synchronized (this) {
            out = o;
        }
    }

    /**
     * The failure an exposer's own answer stands for ({@link TunnelErrors#HEADER}), or null when the
     * answer is to be relayed: an unreachable origin is shown like an offline site (onfail redirect
     * or "coming soon"), a slow one as a timeout, other 5xx kinds as the gateway's 502 page (the
     * exposer's text may name internal addresses); 4xx ones (bad request) pass through.
     */
    static ProxyException exposerFailure(HttpResponse head) {
        String exposerError = head.headers().get(TunnelErrors.HEADER);
        if (TunnelErrors.ORIGIN_UNREACHABLE.equals(exposerError)) {
            // the exposer is up but the web server behind it is not: the site is offline
            return new ProxyException(ProxyException.Kind.ORIGIN_UNREACHABLE, false,
                    "the exposer cannot reach the site's origin server");
        }
        if (TunnelErrors.ORIGIN_TIMEOUT.equals(exposerError) || TunnelErrors.IDLE.equals(exposerError)) {
            return new ProxyException(ProxyException.Kind.ORIGIN_TIMEOUT, false,
                    "the site's origin server did not answer in time");
        }
        if (exposerError != null && head.status().code() >= 500) {
            // the exposer's own plain-text answer (it may name internal addresses): the gateway's page instead
            return new ProxyException(ProxyException.Kind.ORIGIN_FAILED, false, "the exposer reports: " + exposerError);
        }
        return null;
    }

    /**
     * The end-to-end headers of the site's answer onto the visitor's response ({@code Location} and
     * {@code Set-Cookie} rewritten for path mode, Content-Length when not chunked, our Via added).
     */
    static void copyResponseHeaders(HttpResponse head, HttpServletResponse response, ProxyTarget target,
            String siteHost) {
        List<String> connection = head.headers().getAll(HttpHeaderNames.CONNECTION);
        Set<String> named = connection.isEmpty() ? Set.of() : HeaderRules.connectionNamed(connection);
        // one pass over the headers in their order (not a lookup per name)
        for (Iterator<Map.Entry<String, String>> it = head.headers().iteratorAsString(); it.hasNext(); ) {
            Map.Entry<String, String> h = it.next();
            String name = h.getKey();
            if (!HeaderRules.crosses(name, named)) {
                continue;
            }
            String v = h.getValue();
            if (name.equalsIgnoreCase("location")) {
                v = HeaderRules.rewriteLocation(v, target, siteHost);
            } else if (name.equalsIgnoreCase("set-cookie")) {
                v = HeaderRules.rewriteSetCookie(v, target);
            }
            response.addHeader(name, v);
        }
        if (!HttpUtil.isTransferEncodingChunked(head) && head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            response.setContentLengthLong(HttpUtil.getContentLength(head, -1L));
        }
        String via = head.headers().get("Via");
        response.setHeader("Via", via == null ? HeaderRules.VIA : via + ", " + HeaderRules.VIA);
    }

    private void onContent(HttpContent content) {
        Stream keep = null;
        synchronized (this) {
            if (finished) {
                return;
            }
            ByteBuf data = content.content();
            if (data.isReadable() && !noBody) {
                pending.add(data.retain());
            }
            if (content instanceof LastHttpContent) {
                lastReceived = true;
                keep = letGoOfStreamForPool() ? stream : null;
            }
        }
        if (keep != null && !pool.give(poolKey, keep)) {
            keep.close();
        }
        drain();
    }

    private final class ToVisitor implements WriteListener {
        @Override
        public void onWritePossible() {
            drain();
        }

        @Override
        public void onError(Throwable t) {
            fail(ProxyException.Kind.CLIENT_GONE, "the visitor went away: " + t.getMessage(), t);
        }
    }

    /** Writes what is pending while the visitor's connection takes it; asks the stream for more. */
    private void drain() {
        boolean complete = false;
        boolean readMore = false;
        try {
            synchronized (this) {
                if (finished || out == null || !headReceived) {
                    return; // before the answer's head nothing is written (nor committed by a flush)
                }
                if (!writeWhileReady(out, pending)) {
                    return; // onWritePossible calls again
                }
                if (!out.isReady()) {
                    return;
                }
                if (lastReceived) {
                    finished = true;
                    complete = true;
                } else if (inSiteRead) {
                    flushAfterRead = true; // at the end of the read batch (channelReadComplete)
                } else {
                    out.flush(); // server-sent events and long polls see each chunk at once
                    readMore = out.isReady();
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(ProxyException.Kind.CLIENT_GONE, "the visitor went away: " + e.getMessage(), e);
            return;
        }
        if (complete) {
            Stream s;
            synchronized (this) {
                s = streamReleased ? null : stream;
            }
            if (s != null) {
                s.close();
            }
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // the container ended the request meanwhile (visitor gone); nothing left to do
            }
            result.complete(null);
            LOG.debug("[{}] {} {} -> {} done", id, method, target.pathAndQuery(), status);
        } else if (readMore) {
            channel.read();
        }
    }

    /**
     * Writes the pending buffers to the visitor while the container takes them without blocking,
     * releasing each. False when it stopped because the output was not ready (the container calls
     * {@code onWritePossible} then).
     */
    private static boolean writeWhileReady(jakarta.servlet.ServletOutputStream out, java.util.Queue<ByteBuf> pending)
            throws IOException {
        while (!pending.isEmpty()) {
            if (!out.isReady()) {
                return false;
            }
            ByteBuf b = pending.poll();
            try {
                // A copy, not the buffer's own array: in non-blocking mode a container may keep the
                // array until isReady() is true again (Jetty does; the buffer is pooled and reused
                // as soon as it is released here).
                out.write(ByteBufUtil.getBytes(b));
            } finally {
                b.release();
            }
        }
        return true;
    }

    /** Ends the exchange with a failure; safe to call more than once and from any thread. */
    void fail(ProxyException.Kind kind, String reason, Throwable cause) {
        fail(new ProxyException(kind, false, reason, cause));
    }

    void fail(ProxyException failure) {
        boolean committed;
        Stream s;
        boolean done;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            done = containerDone;
            if (firstByteTimer != null) {
                firstByteTimer.cancel(false);
            }
            while (!pending.isEmpty()) {
                pending.poll().release();
            }
            s = streamReleased ? null : stream;
            if (containerDone) {
                committed = true; // the container ended the request: no page, no abort, no touch
            } else {
                committed = response.isCommitted();
                if (!committed && headReceived) {
                    response.reset(); // nothing sent yet: the caller can still write an error page
                }
            }
        }
        if (s != null) {
            s.reset();
        }
        LOG.debug("[{}] {} {} failed ({}{}): {}", id, method, target.pathAndQuery(), failure.kind(),
                committed ? ", response already started" : "", failure.getMessage());
        if (committed) {
            if (!done) {
                abortVisitorResponse();
            }
            result.completeExceptionally(new ProxyException(failure.kind(), true, failure.getMessage(), failure.getCause()));
        } else {
            result.completeExceptionally(failure);
        }
    }

    /**
     * The container's word that the request is over (from its own thread, before it recycles the
     * request): an exchange still under way stops here, its stream is reset and it never writes
     * again (a late write could land on the recycled objects of another visitor's connection).
     */
    private void containerEnded(String why) {
        synchronized (this) {
            containerDone = true;
            if (finished) {
                return; // the usual end (our own complete()): no failure to build
            }
        }
        fail(new ProxyException(ProxyException.Kind.CLIENT_GONE, true, "the container ended the request: " + why));
    }

    /**
     * The visitor's response started and cannot end well: make the container drop the connection
     * instead of finishing the body normally, so the visitor sees a truncated answer, not a short
     * one. The portable way is an async error: a tiny timeout with nobody completing the context.
     */
    private void abortVisitorResponse() {
        try {
            async.setTimeout(1);
        } catch (IllegalStateException e) {
            // the container already dispatched; it will close the connection itself
        }
    }
}
