package io.ipnslink.filter.proxy;

import io.ipnslink.p2p.Stream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.WebConnection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upgrade request (WebSocket or any other {@code Upgrade} token) to a site.
 *
 * <p>Before the site's answer, on the container thread with bounded waits
 * ({@link #exchange}): the request head goes out with {@code Connection: Upgrade}, the answer's
 * head is awaited for the first-byte timeout. A {@code 101} is copied to the servlet response and
 * the connection upgraded ({@link UpgradeHandler}); any other answer is relayed as a normal
 * response (its body read whole, at most {@link #MAX_REFUSAL_BODY} bytes).
 *
 * <p>After the 101 the HTTP codec leaves the stream's pipeline (what it had buffered behind the
 * 101 is passed on as raw bytes) and bytes are piped both ways with backpressure: the visitor's
 * bytes are read while the stream is writable, the site's bytes are read from the stream only
 * once the visitor's connection took the previous ones. A half-close by the site closes the
 * visitor's connection; the visitor's end of input half-closes the stream; an error on either
 * side, {@link UpgradeHandler#destroy()} or the idle timeout close both.
 */
final class UpgradeExchange {
    private static final Logger LOG = LoggerFactory.getLogger(UpgradeExchange.class);

    /** Largest body of a refusal (non-101 answer) relayed to the visitor. */
    static final int MAX_REFUSAL_BODY = 1 << 20;
    /** Bytes read from the visitor per chunk. */
    static final int CHUNK = 16 * 1024;
    /** Visitor bytes queued for the event loop at most. */
    static final int MAX_IN_FLIGHT = 4 * CHUNK;

    private final HttpServletRequest request;
    private final ProxyTarget target;
    private final ProxyConfig config;
    private final Runnable onEnd;
    private final String id;
    private final CompletableFuture<HttpResponse> head = new CompletableFuture<>();
    /** Body parts of a refusal (HttpContent, retained) or the Throwable that ended it. */
    private final LinkedBlockingQueue<Object> refusal = new LinkedBlockingQueue<>();
    private final AtomicBoolean endCalled = new AtomicBoolean();

    // guarded by this
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private Stream stream;
    private Channel channel;
    private WebConnection connection;
    private ServletInputStream in;
    private ServletOutputStream out;
    private boolean upgraded;
    private boolean ended;
    private boolean siteEof;
    private boolean visitorEof;
    private boolean readRequested;
    private boolean waitingForWritable;
    private long bytesIn;
    private long bytesOut;
    /** Visitor bytes handed to the event loop and not yet written to the stream. */
    private long inFlight;

    UpgradeExchange(HttpServletRequest request, ProxyTarget target, ProxyConfig config, Runnable onEnd) {
        this.request = request;
        this.target = target;
        this.config = config;
        this.onEnd = onEnd;
        this.id = target.requestId();
    }

    /** Installs the codec on the fresh stream, before any byte of the site's answer arrives. */
    void install(Stream s) {
        Channel ch = s.channel();
        ch.config().setAutoRead(false);
        ch.pipeline().addLast("http", new HttpClientCodec(Exchange.MAX_INITIAL_LINE, Exchange.MAX_HEADER_BYTES,
                Exchange.MAX_CHUNK));
        ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        ch.pipeline().addLast("upgrade", new FromSite());
    }

    /**
     * On the container thread: sends the request, waits for the answer's head and either upgrades
     * the visitor's connection (101) or relays the answer. Throws (nothing written to the visitor)
     * when the site fails before that; the caller maps the failure to an answer.
     */
    void exchange(Stream s, HttpServletResponse response) throws ProxyException, IOException, ServletException {
        synchronized (this) {
            if (ended) {
                s.reset();
                throw new ProxyException(ProxyException.Kind.STREAM_RESET, false, "the exchange ended before it began");
            }
            stream = s;
            channel = s.channel();
        }
        String upgrade = request.getHeader("Upgrade").trim();
        HttpRequest req = Exchange.requestHead(request, target, upgrade);
        channel.write(req);
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        channel.read();
        HttpResponse answer = await(head, config.firstByteTimeout().toMillis(), "the site sent no answer within "
                + config.firstByteTimeout().toMillis() + " ms");
        ProxyException exposerFailure = Exchange.exposerFailure(answer);
        if (exposerFailure != null) {
            throw exposerFailure;
        }
        String siteHost = Exchange.siteHost(target);
        if (answer.status().code() != 101) {
            relayRefusal(answer, response, siteHost);
            return;
        }
        response.reset();
        Exchange.copyResponseHeaders(answer, response, target, siteHost);
        String to = answer.headers().get(HttpHeaderNames.UPGRADE);
        response.setHeader("Upgrade", to == null || to.isBlank() ? upgrade : to);
        response.setHeader("Connection", "Upgrade");
        response.setStatus(101);
        UpgradeHandler handler = request.upgrade(UpgradeHandler.class);
        handler.attach(this);
        LOG.debug("[{}] {} upgraded to {}", id, target.name(), response.getHeader("Upgrade"));
    }

    private static <T> T await(CompletableFuture<T> f, long millis, String timeoutReason) throws ProxyException {
        try {
            return f.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ProxyException(ProxyException.Kind.ORIGIN_TIMEOUT, false, timeoutReason);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ProxyException pe) {
                throw pe;
            }
            throw new ProxyException(ProxyException.Kind.STREAM_RESET, false, "stream failed: " + e.getCause(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProxyException(ProxyException.Kind.CLIENT_GONE, false, "interrupted");
        }
    }

    /** A non-101 answer: read its body (bounded) and answer the visitor with it. */
    private void relayRefusal(HttpResponse answer, HttpServletResponse response, String siteHost)
            throws ProxyException, IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean noBody = "HEAD".equalsIgnoreCase(request.getMethod()) || answer.status().code() == 204
                || answer.status().code() == 304;
        long idle = config.idleTimeout().toMillis();
        while (true) {
            Object o;
            try {
                o = refusal.poll(idle, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProxyException(ProxyException.Kind.CLIENT_GONE, false, "interrupted");
            }
            if (o == null) {
                throw new ProxyException(ProxyException.Kind.ORIGIN_TIMEOUT, false, "no data for " + idle + " ms");
            }
            if (o instanceof ProxyException pe) {
                throw pe;
            }
            HttpContent c = (HttpContent) o;
            try {
                ByteBuf data = c.content();
                if (body.size() + data.readableBytes() > MAX_REFUSAL_BODY) {
                    throw new ProxyException(ProxyException.Kind.ORIGIN_FAILED, false, "the site refused the upgrade "
                            + "with an answer larger than " + MAX_REFUSAL_BODY + " bytes");
                }
                data.readBytes(body, data.readableBytes());
                if (c instanceof LastHttpContent) {
                    break;
                }
            } finally {
                c.release();
            }
        }
        end(false);
        response.reset();
        response.setStatus(answer.status().code());
        Exchange.copyResponseHeaders(answer, response, target, siteHost);
        if (!noBody) {
            response.setContentLength(body.size());
            body.writeTo(response.getOutputStream());
        }
        LOG.debug("[{}] {} refused the upgrade: {}", id, target.name(), answer.status().code());
    }

    // ---- after the 101 ------------------------------------------------------------------------

    /** {@link UpgradeHandler#init}: the visitor's connection is ours; start piping. */
    void start(WebConnection wc) {
        synchronized (this) {
            if (ended) {
                closeQuietly(wc);
                return;
            }
            connection = wc;
        }
        try {
            ServletInputStream i = wc.getInputStream();
            ServletOutputStream o = wc.getOutputStream();
            synchronized (this) {
                in = i;
                out = o;
            }
            o.setWriteListener(new ToVisitor());
            i.setReadListener(new FromVisitor());
            drain();
        } catch (IOException | RuntimeException e) {
            LOG.debug("[{}] cannot start the upgraded connection: {}", id, e.toString());
            end(true);
        }
    }

    private final class FromVisitor implements ReadListener {
        private final byte[] buf = new byte[CHUNK];

        @Override
        public void onDataAvailable() {
            pump();
        }

        @Override
        public void onAllDataRead() {
            try {
                channel.eventLoop().execute(UpgradeExchange.this::visitorDone); // behind the queued writes
            } catch (RuntimeException e) {
                end(true);
            }
        }

        @Override
        public void onError(Throwable t) {
            if (t instanceof java.io.EOFException) {
                onAllDataRead(); // the visitor closed its side (the container reports it as an error)
                return;
            }
            LOG.debug("[{}] the visitor's side failed: {}", id, t.toString());
            end(true);
        }

        /**
         * Reads what the visitor has while the stream takes it. Writes go to the stream's event loop
         * as tasks in read order (this runs on container threads and on the event loop alike, and a
         * direct write from the loop would overtake tasks queued by a container thread).
         */
        void pump() {
            boolean eof = false;
            try {
                while (true) {
                    synchronized (UpgradeExchange.this) {
                        if (ended || visitorEof || in == null) {
                            break;
                        }
                        if (!channel.isWritable() || inFlight >= MAX_IN_FLIGHT) {
                            waitingForWritable = true;
                            break;
                        }
                        if (!in.isReady()) {
                            break;
                        }
                        int n = in.read(buf);
                        if (n < 0) {
                            eof = true;
                            break;
                        }
                        if (n == 0) {
                            continue;
                        }
                        bytesIn += n;
                        inFlight += n;
                        ByteBuf b = Unpooled.copiedBuffer(buf, 0, n);
                        channel.eventLoop().execute(() -> send(b));
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("[{}] reading from the visitor failed: {}", id, e.toString());
                end(true);
                return;
            }
            if (eof) {
                channel.eventLoop().execute(UpgradeExchange.this::visitorDone); // behind the queued writes
            }
        }
    }

    /** On the event loop: one chunk of the visitor's bytes to the stream. */
    private void send(ByteBuf b) {
        int n = b.readableBytes();
        synchronized (this) {
            if (ended) {
                b.release();
                return;
            }
        }
        channel.writeAndFlush(b);
        boolean resume;
        synchronized (this) {
            inFlight -= n;
            resume = waitingForWritable && channel.isWritable() && inFlight < MAX_IN_FLIGHT && !ended;
            if (resume) {
                waitingForWritable = false;
            }
        }
        if (resume) {
            fromVisitor().pump();
        }
    }

    /** Lazily made once: the container and the writability callback share its buffer. */
    private FromVisitor fromVisitor;

    private synchronized FromVisitor fromVisitor() {
        if (fromVisitor == null) {
            fromVisitor = new FromVisitor();
        }
        return fromVisitor;
    }

    /** The visitor sent everything it will send: half-close the stream; done when the site is too. */
    private void visitorDone() {
        boolean both;
        Stream s;
        synchronized (this) {
            if (ended || visitorEof) {
                return;
            }
            visitorEof = true;
            both = siteEof && pending.isEmpty();
            s = stream;
        }
        if (both) {
            end(false);
        } else {
            s.closeWrite();
        }
    }

    private final class ToVisitor implements WriteListener {
        @Override
        public void onWritePossible() {
            drain();
        }

        @Override
        public void onError(Throwable t) {
            LOG.debug("[{}] writing to the visitor failed: {}", id, t.toString());
            end(true);
        }
    }

    /** Writes the site's pending bytes while the visitor takes them; then asks the stream for more. */
    private void drain() {
        boolean read = false;
        boolean close = false;
        try {
            synchronized (this) {
                if (ended || out == null) {
                    return;
                }
                long n = Exchange.writeWhileReady(out, pending);
                if (n < 0) {
                    return; // onWritePossible calls again
                }
                bytesOut += n;
                if (!out.isReady()) {
                    return;
                }
                out.flush();
                if (!out.isReady()) {
                    return;
                }
                if (siteEof) {
                    close = true;
                } else if (!readRequested) {
                    readRequested = true;
                    read = true;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("[{}] writing to the visitor failed: {}", id, e.toString());
            end(true);
            return;
        }
        if (close) {
            end(false);
        } else if (read) {
            channel.read();
        }
    }

    private void addPending(ByteBuf b) {
        synchronized (this) {
            if (ended) {
                b.release();
                return;
            }
            pending.add(b);
        }
        drain();
    }

    private final class FromSite extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse h) {
                    onHead(ctx, h);
                }
                if (msg instanceof HttpContent c) {
                    if (upgraded()) {
                        if (c.content().isReadable()) {
                            addPending(c.content().retain());
                        }
                    } else if (head.isDone() && !head.isCompletedExceptionally()) {
                        if (c.decoderResult().isFailure()) {
                            refusal.add(new ProxyException(ProxyException.Kind.BAD_RESPONSE, false,
                                    "broken body from the site", c.decoderResult().cause()));
                        } else {
                            refusal.add(c.retain());
                            if (!(c instanceof LastHttpContent)) {
                                ctx.read(); // the container thread gathers the body (bounded)
                            }
                        }
                    }
                } else if (msg instanceof ByteBuf b) {
                    addPending(b.retain()); // after the 101: raw bytes
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onHead(ChannelHandlerContext ctx, HttpResponse h) {
            DecoderResult dr = h.decoderResult();
            if (dr.isFailure()) {
                failBeforeHead(new ProxyException(ProxyException.Kind.BAD_RESPONSE, false,
                        "the site's answer is not HTTP/1.1: " + dr.cause(), dr.cause()));
                return;
            }
            int code = h.status().code();
            if (code == 101) {
                synchronized (UpgradeExchange.this) {
                    upgraded = true;
                }
                // from here on raw bytes: what the decoder holds behind the 101 comes out as a ByteBuf
                if (ctx.pipeline().get("http") != null) {
                    ctx.pipeline().remove("http");
                }
                head.complete(h);
                return;
            }
            if (code >= 100 && code < 200) {
                ctx.read(); // interim answer; the real one follows
                return;
            }
            head.complete(h);
            ctx.read(); // the body of the refusal
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            boolean after;
            synchronized (UpgradeExchange.this) {
                readRequested = false;
                after = upgraded;
            }
            if (after) {
                drain();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                LOG.debug("[{}] no data for {} ms", id, config.idleTimeout().toMillis());
                failBeforeHead(new ProxyException(ProxyException.Kind.ORIGIN_TIMEOUT, false,
                        "no data for " + config.idleTimeout().toMillis() + " ms"));
                end(true);
                return;
            }
            if (evt instanceof ChannelInputShutdownEvent) {
                boolean both;
                synchronized (UpgradeExchange.this) {
                    siteEof = true;
                    both = upgraded;
                }
                if (both) {
                    drain(); // closes the visitor's connection once the pending bytes are out
                } else {
                    failBeforeHead(new ProxyException(ProxyException.Kind.STREAM_RESET, false,
                            "the site's stream closed before the answer was complete"));
                }
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            failBeforeHead(new ProxyException(ProxyException.Kind.STREAM_RESET, false,
                    "the site's stream closed before the answer was complete"));
            boolean clean;
            synchronized (UpgradeExchange.this) {
                clean = siteEof && pending.isEmpty();
            }
            if (clean) {
                drain();
            } else {
                end(true);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof io.ipnslink.p2p.P2pException.NoSuchProtocol && !head.isDone()) {
                failBeforeHead(new ProxyException(ProxyException.Kind.ORIGIN_UNREACHABLE, false,
                        "the site's peer does not serve this site", cause));
            } else {
                failBeforeHead(new ProxyException(ProxyException.Kind.STREAM_RESET, false,
                        "stream failed: " + cause.getMessage(), cause));
            }
            end(true);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            boolean resume;
            synchronized (UpgradeExchange.this) {
                resume = ctx.channel().isWritable() && waitingForWritable && inFlight < MAX_IN_FLIGHT && !ended;
                if (resume) {
                    waitingForWritable = false;
                }
            }
            if (resume) {
                fromVisitor().pump();
            }
            super.channelWritabilityChanged(ctx);
        }
    }

    private synchronized boolean upgraded() {
        return upgraded;
    }

    /** Fails the waiting container thread (head or refusal body); no effect after a 101. */
    private void failBeforeHead(ProxyException e) {
        if (!head.completeExceptionally(e) && !upgraded()) {
            refusal.add(e);
        }
    }

    /**
     * Ends the exchange: closes (or, with {@code abort}, resets) the stream and closes the
     * visitor's connection. Safe to call more than once and from any thread.
     */
    void end(boolean abort) {
        Stream s;
        WebConnection wc;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            while (!pending.isEmpty()) {
                pending.poll().release();
            }
            s = stream;
            wc = connection;
        }
        head.completeExceptionally(new ProxyException(ProxyException.Kind.STREAM_RESET, false, "the exchange ended"));
        Object o;
        while ((o = refusal.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
        if (s != null) {
            if (abort) {
                s.reset();
            } else {
                s.close();
            }
        }
        if (wc != null) {
            closeQuietly(wc);
        }
        if (endCalled.compareAndSet(false, true)) {
            onEnd.run();
        }
        LOG.debug("[{}] upgrade exchange with {} ended{}: {} bytes in, {} bytes out", id, target.name(),
                abort ? " (aborted)" : "", bytesIn, bytesOut);
    }

    private void closeQuietly(WebConnection wc) {
        try {
            wc.close();
        } catch (Exception e) {
            LOG.debug("[{}] closing the visitor's connection: {}", id, e.toString());
        }
    }
}
