package io.ipnslink.filter.proxy;

import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.upgrade.UpgradeRelay;
import io.ipnslink.filter.upgrade.UpgradeSettings;
import io.ipnslink.p2p.Stream;
import io.ipnslink.tunnel.TunnelErrors;
import io.ipnslink.tunnel.client.ClientExchange;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A visitor's upgrade request (WebSocket or any other {@code Upgrade}) to a site. The container
 * switches protocols only when the filter returns on its own thread, so this exchange does not go
 * async: the container thread {@linkplain #run runs} it, and every wait is bounded.
 *
 * <ol>
 *   <li>The site's request is built with the steps of {@link GatewayExchange} (target, end-to-end
 *       headers, proxy headers) plus {@code Connection: Upgrade} and the visitor's {@code Upgrade}
 *       token, without a body, and sent on a fresh stream (a kept stream is never handed over).</li>
 *   <li>The container thread waits for the site's answer head: at most the dial and first-byte
 *       timeouts.</li>
 *   <li>A {@code 101}: its status and end-to-end headers go to the visitor with
 *       {@code Connection: Upgrade} and the site's {@code Upgrade}, and {@link UpgradeRelay#install}
 *       takes the stream (HTTP codec out, auto-read off, the bytes already read behind the head)
 *       and the visitor's connection. The relay owns both from then on.</li>
 *   <li>Any other answer (the site refused or ignored the upgrade) is relayed as an ordinary
 *       answer, written by the container thread (blocking: this request is not async), one read
 *       batch of the stream at a time, each wait bounded by the idle timeout.</li>
 * </ol>
 *
 * <p>Threads: the stream's event loop only puts events into a queue (it never touches the servlet
 * objects and never waits); the container thread takes them. The queue holds at most one read
 * batch of the stream (the next batch is asked for only after the container thread wrote this one),
 * and its capacity is a bound as well.
 */
final class UpgradeExchange implements ClientExchange.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(UpgradeExchange.class);
    /** Events between the stream's event loop and the container thread: far more than one read batch. */
    static final int MAX_QUEUED_EVENTS = 1_024;
    /** Added to the dial and first-byte timeouts for the wait for the answer head (scheduling slack). */
    private static final Duration SLACK = Duration.ofSeconds(1);

    private record Head(HttpResponse head) {}

    private record Piece(ByteBuf data, boolean last) {}

    private record Upgraded(HttpResponse head, Stream stream, ByteBuf alreadyRead) {}

    private record Failed(ProxyException failure) {}

    private static final Object READ_COMPLETE = new Object();

    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final ProxyTarget target;
    private final ProxyConfig config;
    private final String siteHost;
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>(MAX_QUEUED_EVENTS);
    private volatile boolean abandoned;
    /** The site's answer head came: a deadline from now on cuts an answer under way. */
    private volatile boolean answerStarted;
    /** {@link System#nanoTime} when the exchange was made: {@code request-timeout} counts from here. */
    private final long startNanos = System.nanoTime();
    /** The request's method, read on the container thread (the event loop logs it). */
    private final String method;
    private ClientExchange site;
    /** The request's meter (phase times, bytes of a relayed refusal), or null. */
    private final io.ipnslink.filter.pipeline.RequestMeter meter;

    UpgradeExchange(HttpServletRequest request, HttpServletResponse response, ProxyTarget target, ProxyConfig config) {
        this.request = request;
        this.response = response;
        this.target = target;
        this.config = config;
        this.siteHost = GatewayExchange.siteHost(target);
        this.method = request.getMethod();
        this.meter = io.ipnslink.filter.pipeline.RequestMeter.of(request);
        if (meter != null) {
            meter.dialStart(startNanos);
        }
    }

    /** Steps 1 to 3 of {@link GatewayExchange}, then the upgrade's own hop-by-hop headers. */
    HttpRequest siteRequest() {
        HttpRequest head = GatewayExchange.rewriteTarget(request.getMethod(), target);
        GatewayExchange.copyRequestHeaders(request, head);
        GatewayExchange.addProxyHeaders(head, siteHost, target);
        head.headers().set(HttpHeaderNames.CONNECTION, "Upgrade");
        head.headers().set(HttpHeaderNames.UPGRADE, request.getHeader("Upgrade"));
        return head;
    }

    /**
     * Sends the request and answers the visitor, on the container thread. Returns the relay when
     * the site switched protocols, null when its other answer was relayed.
     *
     * @throws ProxyException when the site could not be reached or failed; not committed when
     *     nothing was written yet (the caller answers with the gateway's page)
     */
    UpgradeRelay run(ClientExchange exchange, Runnable send, UpgradeSettings settings)
            throws ProxyException, IOException, ServletException {
        this.site = exchange;
        GatewayExchange.limit(exchange, startNanos, config); // up to the 101; the relay's own limits after it
        send.run();
        boolean handedOver = false; // the relay, or the pool after a whole answer, has the stream
        try {
            Duration headWait = config.dialTimeout().plus(config.firstByteTimeout()).plus(SLACK);
            long deadline = System.nanoTime() + headWait.toNanos();
            String noHead = "the site sent no answer within " + headWait.toMillis() + " ms";
            Object first = take(headWait, noHead);
            while (first == READ_COMPLETE) {
                // a read batch that did not complete the head: the stream's HTTP codec has asked
                // for the next one itself. No read from here: one asked for after the batch that
                // completes a 101 would stay pending on the stream and deliver the site's first
                // bytes behind the head while no handler takes them (the relay's are added from
                // this thread, pending on the event loop), so they were lost.
                first = take(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), noHead);
            }
            if (first instanceof Failed f) {
                throw f.failure();
            }
            if (first instanceof Upgraded u) {
                handedOver = true;
                return switchProtocols(u, settings);
            }
            relayAnswer(((Head) first).head());
            handedOver = true;
            return null;
        } finally {
            if (!handedOver) {
                abandon();
            }
        }
    }

    /** The site's 101 to the visitor, and the relay on the stream. */
    private UpgradeRelay switchProtocols(Upgraded u, UpgradeSettings settings) throws IOException, ServletException {
        HeaderRules.copyResponseHeaders(u.head(), response, target, siteHost);
        String protocol = u.head().headers().get(HttpHeaderNames.UPGRADE);
        response.setHeader("Upgrade", protocol != null ? protocol : request.getHeader("Upgrade"));
        response.setHeader("Connection", "Upgrade");
        LOG.debug("[{}] {} switched protocols to {}", target.requestId(), target.pathAndQuery(), protocol);
        return UpgradeRelay.install(request, response, u.stream().channel(), u.alreadyRead(), settings,
                target.requestId());
    }

    /** A refusal (or an answer that ignored the upgrade): written as any answer, batch by batch. */
    private void relayAnswer(HttpResponse head) throws IOException, ProxyException {
        response.setStatus(head.status().code());
        HeaderRules.copyResponseHeaders(head, response, target, siteHost);
        boolean noBody = "HEAD".equalsIgnoreCase(request.getMethod()) || head.status().code() == 204
                || head.status().code() == 304;
        ServletOutputStream out = response.getOutputStream();
        String idle = "the site sent nothing for " + config.idleTimeout().toMillis() + " ms";
        while (true) {
            Object e = take(config.idleTimeout(), idle);
            if (e instanceof Failed f) {
                throw new ProxyException(f.failure().kind(), response.isCommitted(), f.failure().getMessage(),
                        f.failure().getCause());
            }
            if (e == READ_COMPLETE) {
                out.flush(); // each batch at once (a slow answer is seen as it comes)
                site.readMore();
                continue;
            }
            Piece p = (Piece) e;
            try {
                if (!noBody && p.data().isReadable()) {
                    int n = p.data().readableBytes();
                    p.data().readBytes(out, n);
                    if (meter != null) {
                        meter.addBytesOut(n);
                    }
                }
            } finally {
                p.data().release();
            }
            if (p.last()) {
                site.finish();
                return;
            }
        }
    }

    private Object take(Duration wait, String timeoutReason) throws ProxyException {
        Object e;
        try {
            e = events.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new ProxyException(ProxyException.Kind.CLIENT_GONE, response.isCommitted(), "interrupted", ie);
        }
        if (e == null) {
            throw new ProxyException(ProxyException.Kind.ORIGIN_TIMEOUT, response.isCommitted(), timeoutReason);
        }
        return e;
    }

    /** The container thread gives up (or is done without a relay): the stream goes, queued bytes are freed. */
    private void abandon() {
        abandoned = true;
        site.cancel();
        for (Object e; (e = events.poll()) != null; ) {
            release(e);
        }
    }

    private static void release(Object e) {
        if (e instanceof Piece p) {
            p.data().release();
        } else if (e instanceof Upgraded u) {
            u.alreadyRead().release();
            u.stream().reset();
        }
    }

    /** From the event loop: queued for the container thread, or dropped once it gave up. */
    private void put(Object e) {
        if (abandoned || !events.offer(e)) {
            release(e);
            if (!abandoned) {
                // cannot happen by design (one read batch at a time); a stuck reader is failed, not fed
                abandoned = true;
                site.cancel();
            }
            return;
        }
        if (abandoned && events.remove(e)) {
            release(e); // the container thread gave up as this went in
        }
    }

    // ---- ClientExchange.Listener (the stream's event loop) ---------------------------------------

    @Override
    public boolean onStreamReady() {
        if (meter != null && meter.dialedNanos() == 0) {
            meter.dialed(System.nanoTime());
        }
        return !abandoned;
    }

    @Override
    public void onBodyWanted() {
        // an upgrade request has no body
    }

    @Override
    public void onAnswerHead(HttpResponse head) {
        answerStarted = true;
        if (meter != null) {
            meter.firstByte(System.nanoTime());
        }
        ProxyException exposerFailure = GatewayExchange.exposerFailure(head);
        put(exposerFailure != null ? new Failed(exposerFailure) : new Head(head));
    }

    @Override
    public void onAnswerContent(ByteBuf data, boolean last) {
        put(new Piece(data.retain(), last));
    }

    @Override
    public void onReadComplete() {
        put(READ_COMPLETE);
    }

    @Override
    public void onWritable() {
        // no body to write
    }

    @Override
    public void onFailure(ClientExchange.Failure f, String reason, Throwable cause) {
        if (f == ClientExchange.Failure.DEADLINE) {
            GatewayExchange.logDeadline(target.requestId(), method, target, config, answerStarted);
        }
        put(new Failed(new ProxyException(GatewayExchange.kindOf(f), false, reason, cause)));
    }

    @Override
    public boolean acceptsUpgrade(HttpResponse head) {
        return !abandoned && head.status().code() == 101 && head.headers().get(TunnelErrors.HEADER) == null;
    }

    @Override
    public void onUpgraded(HttpResponse head, Stream stream, ByteBuf alreadyRead) {
        if (meter != null) {
            meter.firstByte(System.nanoTime());
        }
        put(new Upgraded(head, stream, alreadyRead));
    }
}
