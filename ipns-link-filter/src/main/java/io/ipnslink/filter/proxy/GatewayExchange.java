package io.ipnslink.filter.proxy;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.p2p.Stream;
import io.ipnslink.tunnel.HopByHop;
import io.ipnslink.tunnel.TunnelErrors;
import io.ipnslink.tunnel.client.ClientExchange;
import io.ipnslink.tunnel.client.TunnelClient;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied request, in the steps of a proxy (the order of Jetty's {@code AbstractProxyServlet}):
 * {@link #rewriteTarget} -> {@link #copyRequestHeaders} -> {@link #addProxyHeaders} -> {@link #send}
 * -> {@link #onAnswerHead} -> {@link #onAnswerContent} -> {@link #onSuccess} / {@link #onFailure}.
 * The stream side is a {@link ClientExchange} of the tunnel (lease, keep-alive hand-back, the one
 * safe retry); the visitor's request body goes through a {@link RequestBodyPump}, the answer
 * through an {@link AnswerWriter}.
 *
 * <p>Its {@link State} moves forward only, by compare-and-set, from the stream's event loop (answer
 * head, last piece) and the answer writer (done). Servlet stream calls happen only in the pump and
 * the writer, never under a lock: the rule of docs/gateway.md.
 */
final class GatewayExchange implements ClientExchange.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayExchange.class);

    /** Where an exchange is; each state comes after the ones above it. */
    enum State {
        /** Waiting for a stream to the site. */
        OPENING,
        /** The request went out (or is going out); no answer head yet. */
        AWAITING_ANSWER,
        /** The answer's head arrived; its body is on its way to the visitor. */
        ANSWERING,
        /** The answer's last piece arrived; the visitor may still be receiving. */
        ANSWERED,
        /** A site's 101 went to the {@link UpgradeStep}, which owns the rest. */
        UPGRADED,
        /** Over: completed or failed; nothing touches the visitor's request or response any more. */
        DONE
    }

    private static final AtomicReferenceFieldUpdater<GatewayExchange, State> STATE =
            AtomicReferenceFieldUpdater.newUpdater(GatewayExchange.class, State.class, "state");
    private static final AtomicReferenceFieldUpdater<GatewayExchange, ProxyException> FAILURE =
            AtomicReferenceFieldUpdater.newUpdater(GatewayExchange.class, ProxyException.class, "failure");

    private final AsyncContext async;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final ProxyTarget target;
    private final ProxyConfig config;
    private final UpgradeStep upgrade;
    private final CompletableFuture<Void> result;
    private final String id;
    /** The request's method, read once (the request object is not touched after the container is done). */
    private final String method;
    /** The visitor's Content-Length (-1 when absent) and chunked framing, read once on the request's thread. */
    private final long contentLength;
    private final boolean chunked;
    /**
     * An HTTP/2 or HTTP/3 request with a body but no Content-Length (its stream's end frames it):
     * sent chunked. Decided in {@link #prepare}.
     */
    private boolean streamedBody;
    /** The Host header the site gets (the manifest's host, else the name). */
    private final String siteHost;
    /** {@link System#nanoTime} when the exchange was made: {@code request-timeout} counts from here. */
    private final long startNanos = System.nanoTime();
    /** The request's meter (phase times, bytes), or null when the gateway does not meter it. */
    private final RequestMeter meter;

    private volatile State state = State.OPENING;
    /** Why the exchange fails, once set; the writer acts on it. */
    private volatile ProxyException failure;
    /**
     * The container ended the visitor's request on its own (visitor gone, error, timeout) or saw it
     * completed: from then on its request and response objects may already serve another connection,
     * so nothing here touches them again.
     */
    private volatile boolean containerDone;
    /** The site's answer head, for the writer to put on the response. */
    private volatile HttpResponse answerHead;
    /** The stream is delivering a read batch: the writer flushes (and asks for more) when it ends. */
    private volatile boolean inSiteRead;
    /** The status of the site's answer (for the log). */
    private volatile int status;

    private ClientExchange site;
    /** The site is behind Kubo's p2p listener, which resets the stream when it cannot reach its origin. */
    private boolean kuboListener;
    private AnswerWriter writer;
    private volatile RequestBodyPump pump;
    // the stream's event loop's own
    private boolean noBody;
    // the writer's own
    private boolean headWritten;

    GatewayExchange(AsyncContext async, ProxyTarget target, ProxyConfig config, UpgradeStep upgrade,
            CompletableFuture<Void> result) {
        this.async = async;
        this.request = (HttpServletRequest) async.getRequest();
        this.response = (HttpServletResponse) async.getResponse();
        this.target = target;
        this.config = config;
        this.upgrade = upgrade;
        this.result = result;
        this.id = target.requestId();
        this.method = request.getMethod();
        this.contentLength = request.getContentLengthLong();
        this.chunked = headerHasToken("Transfer-Encoding", "chunked");
        this.siteHost = siteHost(target);
        this.meter = RequestMeter.of(request);
        if (meter != null) {
            meter.dialStart(startNanos); // the address checks count as part of reaching the site
        }
    }

    /** The request's meter, or null (the writer and the pump count bytes on it). */
    RequestMeter meter() {
        return meter;
    }

    /** The Host header the site gets: the manifest's host, else the name. */
    static String siteHost(ProxyTarget target) {
        String manifestHost = target.manifest().host();
        return manifestHost != null && !manifestHost.isEmpty() ? manifestHost : target.name().toString();
    }

    /** Whether the visitor's request has a body (then it never takes a kept stream). */
    boolean requestHasBody() {
        return contentLength > 0 || chunked || streamedBody;
    }

    /**
     * Whether a request without Content-Length and chunked framing has a body: never in HTTP/1.x
     * (RFC 9112 6.3: neither header, no body), while in HTTP/2 and HTTP/3 a body needs neither
     * (its frames end with the stream's). There the container knows whether the stream ended with
     * the request's head: {@code isFinished()} on the input before any read is true only then
     * (checked for Tomcat; the Servlet API defines it as "all data read").
     */
    static boolean hasStreamedBody(HttpServletRequest request) {
        String protocol = request.getProtocol();
        if (protocol == null || !(protocol.startsWith("HTTP/2") || protocol.startsWith("HTTP/3"))) {
            return false;
        }
        try {
            return !request.getInputStream().isFinished();
        } catch (IOException | IllegalStateException e) {
            return false; // no input to read: the pump could not read it either
        }
    }

    /** Whether the exchange is over for this side (done, or handed to an upgrade step). */
    boolean isOver() {
        State s = state;
        return s == State.DONE || s == State.UPGRADED || failure != null;
    }

    /**
     * Puts the visitor's output in non-blocking mode with the {@link AnswerWriter} as its write
     * listener. Called when the exchange is made, on the request's thread when the site was known
     * at once: the container then calls the listener's first {@code onWritePossible} as that thread
     * leaves the filter instead of handing a dispatch to another thread per request. Nothing is
     * written before the site's answer head arrives; an error page written instead is a single
     * write, which non-blocking mode takes at once.
     */
    void listen() throws IOException {
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                try {
                    containerEnded("completed");
                } finally {
                    ContainerThreads.leave();
                }
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                try {
                    containerEnded("timed out");
                } finally {
                    ContainerThreads.leave();
                }
            }

            @Override
            public void onError(AsyncEvent event) {
                try {
                    containerEnded("error: " + event.getThrowable());
                } finally {
                    ContainerThreads.leave();
                }
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                // not ours
            }
        });
        writer = new AnswerWriter(this, response.getOutputStream());
        response.getOutputStream().setWriteListener(writer);
    }

    // ---- 1-3: the request as the site gets it ---------------------------------------------------

    /**
     * Builds the site's request (steps 1 to 3, on the caller's thread) and its tunnel exchange. The
     * request goes out once {@link #send} found a stream.
     */
    void prepare(TunnelClient client, PeerId peer, String protocol) {
        prepare(client, peer, protocol, false);
    }

    /** With {@code kuboListener} (a legacy v1 site): {@code Connection: close}, as the original gateway sent. */
    void prepare(TunnelClient client, PeerId peer, String protocol, boolean kuboListener) {
        this.kuboListener = kuboListener;
        streamedBody = contentLength < 0 && !chunked && hasStreamedBody(request);
        HttpRequest head = rewriteTarget();
        copyRequestHeaders(head);
        addProxyHeaders(head);
        if (kuboListener) {
            head.headers().set(HttpHeaderNames.CONNECTION, io.netty.handler.codec.http.HttpHeaderValues.CLOSE);
        }
        frameBody(head);
        site = client.exchange(id, peer, protocol, head, requestHasBody(), this);
        limit(site, startNanos, config);
    }

    /** {@code request-timeout} on a site exchange, counted from {@code startNanos} (none when zero). */
    static void limit(ClientExchange site, long startNanos, ProxyConfig config) {
        if (!config.requestTimeout().isZero()) {
            site.limitTo(startNanos + config.requestTimeout().toNanos());
        }
    }

    /** Step 1: method and origin-form target ({@code /a/b?c}) of the site's request. */
    HttpRequest rewriteTarget() {
        return rewriteTarget(method, target);
    }

    /** {@link #rewriteTarget()} for any request (the upgrade path builds its head with the same steps). */
    static HttpRequest rewriteTarget(String method, ProxyTarget target) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), target.pathAndQuery());
    }

    /**
     * Step 2: the visitor's end-to-end headers (not hop-by-hop, not named in {@code Connection},
     * not the ones the gateway re-frames, no forwarding header: {@link HeaderRules#requestCrosses}).
     */
    void copyRequestHeaders(HttpRequest head) {
        copyRequestHeaders(request, head);
    }

    /** {@link #copyRequestHeaders(HttpRequest)} from any visitor's request. */
    static void copyRequestHeaders(HttpServletRequest request, HttpRequest head) {
        Set<String> named = HopByHop.connectionTokens(Collections.list(request.getHeaders("Connection")));
        for (String name : Collections.list(request.getHeaderNames())) {
            if (HeaderRules.requestCrosses(name, named)) {
                for (String v : Collections.list(request.getHeaders(name))) {
                    head.headers().add(name, v);
                }
            }
        }
    }

    /**
     * Step 3: Host as the site expects it, the isolation of path form (no host-application
     * credentials, only the site's own cookies: {@link HeaderRules#isolateRequest}), the gateway's
     * own {@code X-Forwarded-*} and {@code Forwarded}, and {@code Via}.
     * No {@code Connection: close}: HTTP/1.1 keep-alive lets the stream carry the next request.
     */
    void addProxyHeaders(HttpRequest head) {
        addProxyHeaders(head, siteHost, target);
    }

    /** {@link #addProxyHeaders(HttpRequest)} for any site request. */
    static void addProxyHeaders(HttpRequest head, String siteHost, ProxyTarget target) {
        head.headers().set(HttpHeaderNames.HOST, siteHost);
        HeaderRules.isolateRequest(head.headers(), target);
        HeaderRules.addProxyHeaders(head.headers(), target);
    }

    /**
     * The body's framing on the site's request: the visitor's Content-Length, else chunked (a
     * chunked HTTP/1.1 body, or an HTTP/2 or HTTP/3 body without Content-Length).
     */
    private void frameBody(HttpRequest head) {
        if (contentLength >= 0) {
            if (contentLength > 0 || permitsBody(head.method())) {
                HttpUtil.setContentLength(head, contentLength);
            }
        } else if (chunked || streamedBody) {
            HttpUtil.setTransferEncodingChunked(head, true);
        }
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

    // ---- 4: send -------------------------------------------------------------------------------

    /** Step 4: a stream to the site (kept or fresh) and the request on it. */
    void send(TunnelClient client, List<Multiaddr> addresses) {
        client.send(site, addresses);
    }

    @Override
    public boolean onStreamReady() {
        if (contentLength > config.maxRequestBodyBytes()) {
            fail(ProxyException.Kind.REQUEST_TOO_LARGE, "request body of " + contentLength + " bytes is above the "
                    + config.maxRequestBodyBytes() + "-byte limit", null);
            return false;
        }
        STATE.compareAndSet(this, State.OPENING, State.AWAITING_ANSWER);
        if (meter != null && meter.dialedNanos() == 0) {
            meter.dialed(System.nanoTime());
        }
        return !isOver();
    }

    @Override
    public void onBodyWanted() {
        try {
            ServletInputStream in = request.getInputStream();
            RequestBodyPump p = new RequestBodyPump(this, site, in, config.maxRequestBodyBytes(), meter);
            pump = p;
            in.setReadListener(p);
        } catch (IOException | RuntimeException e) {
            fail(ProxyException.Kind.CLIENT_GONE, "cannot read the request: " + e.getMessage(), e);
        }
    }

    @Override
    public void onWritable() {
        RequestBodyPump p = pump;
        if (p != null) {
            p.onWritable();
        }
    }

    // ---- 5-6: the answer -----------------------------------------------------------------------

    /**
     * Step 5 (stream's event loop): the site's answer head. An exposer's own failure answer becomes
     * the gateway's failure; any other head goes to the visitor through the writer.
     */
    @Override
    public void onAnswerHead(HttpResponse head) {
        ProxyException exposerFailure = exposerFailure(head);
        if (exposerFailure != null) {
            fail(exposerFailure);
            return;
        }
        int code = head.status().code();
        if (meter != null) {
            meter.firstByte(System.nanoTime());
        }
        status = code;
        noBody = "HEAD".equalsIgnoreCase(method) || code == 204 || code == 304;
        answerHead = head;
        inSiteRead = true;
        if (STATE.compareAndSet(this, State.AWAITING_ANSWER, State.ANSWERING)) {
            writer.drain();
        }
    }

    /** Step 6 (stream's event loop): a piece of the answer's body, queued for the writer. */
    @Override
    public void onAnswerContent(ByteBuf data, boolean last) {
        if (isOver()) {
            return;
        }
        inSiteRead = true;
        if (data.isReadable() && !noBody) {
            writer.offer(data.retain());
        }
        if (last) {
            STATE.compareAndSet(this, State.ANSWERING, State.ANSWERED);
        }
        writer.drain();
    }

    /**
     * End of a read batch: what it wrote goes to the visitor now, so an answer whose head and body
     * arrive together leaves in one write, and a stream of chunks is still flushed batch by batch
     * (server-sent events and long polls see each at once).
     */
    @Override
    public void onReadComplete() {
        inSiteRead = false;
        writer.drain();
    }

    /**
     * One turn of the {@link AnswerWriter} (the only thread touching the response now): fail, or
     * put the head on the response, write what is pending, and complete or flush and read on.
     */
    void writeTurn(AnswerWriter w) throws IOException {
        State s = state;
        if (s == State.DONE || s == State.UPGRADED) {
            w.releasePending();
            return;
        }
        ProxyException f = failure;
        if (f != null) {
            onFailure(f, w);
            return;
        }
        if (s.compareTo(State.ANSWERING) < 0 || containerDone) {
            return; // before the answer's head nothing is written (nor committed by a flush)
        }
        if (!headWritten) {
            headWritten = true;
            writeAnswerHead();
        }
        if (!w.writePending() || !w.isReady()) {
            return; // onWritePossible comes
        }
        if (s == State.ANSWERED) {
            onSuccess();
        } else if (!inSiteRead) {
            w.flush(); // server-sent events and long polls see each chunk at once
            if (w.isReady()) {
                site.readMore();
            }
        }
    }

    /** Step 5, on the visitor's side (writer): the answer's status and end-to-end headers. */
    private void writeAnswerHead() {
        response.setStatus(status);
        HeaderRules.copyResponseHeaders(answerHead, response, target, siteHost);
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

    // ---- the upgrade seam ----------------------------------------------------------------------

    @Override
    public boolean acceptsUpgrade(HttpResponse head) {
        return !isOver() && upgrade.accepts(target, head);
    }

    @Override
    public void onUpgraded(HttpResponse head, Stream stream, ByteBuf alreadyRead) {
        if (!STATE.compareAndSet(this, State.AWAITING_ANSWER, State.UPGRADED)) {
            alreadyRead.release();
            stream.reset();
            return;
        }
        status = head.status().code();
        if (meter != null) {
            meter.firstByte(System.nanoTime());
        }
        upgrade.takeOver(async, target, head, stream, alreadyRead, result);
    }

    // ---- 7: success or failure -----------------------------------------------------------------

    /** Step 7, the usual end (writer): the stream is closed unless it went back to the pool. */
    private void onSuccess() {
        state = State.DONE;
        site.finish();
        writer.passOver(); // nothing below touches the container's objects
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // the container ended the request meanwhile (visitor gone); nothing left to do
        }
        result.complete(null);
        LOG.debug("[{}] {} {} -> {} done", id, method, target.pathAndQuery(), status);
    }

    @Override
    public void onFailure(ClientExchange.Failure f, String reason, Throwable cause) {
        if (f == ClientExchange.Failure.DEADLINE) {
            logDeadline(id, method, target, config, state.compareTo(State.ANSWERING) >= 0);
        }
        if (kuboListener && f == ClientExchange.Failure.RESET && state.compareTo(State.ANSWERING) < 0) {
            fail(ProxyException.Kind.ORIGIN_UNREACHABLE, "the listener cannot reach the site's origin: " + reason, cause);
            return;
        }
        fail(kindOf(f), reason, cause);
    }

    /** The operator's line for a request that ran into {@code request-timeout}. */
    static void logDeadline(String id, String method, ProxyTarget target, ProxyConfig config, boolean answerStarted) {
        LOG.info("[{}] {} {} for {} ran into request-timeout ({} ms): {}", id, method, target.pathAndQuery(),
                target.name(), config.requestTimeout().toMillis(),
                answerStarted ? "the answer is cut, the site stream reset" : "504, the site stream reset");
    }

    /** What a tunnel failure means to the gateway (its status and page: GatewayErrors). */
    static ProxyException.Kind kindOf(ClientExchange.Failure f) {
        return switch (f) {
            case UNREACHABLE -> ProxyException.Kind.ORIGIN_UNREACHABLE;
            case TIMEOUT -> ProxyException.Kind.ORIGIN_TIMEOUT;
            case RESET -> ProxyException.Kind.STREAM_RESET;
            case BAD_ANSWER -> ProxyException.Kind.BAD_RESPONSE;
            case DEADLINE -> ProxyException.Kind.ORIGIN_TIMEOUT;
        };
    }

    /** Ends the exchange with a failure; safe to call more than once and from any thread. */
    void fail(ProxyException.Kind kind, String reason, Throwable cause) {
        fail(new ProxyException(kind, false, reason, cause));
    }

    void fail(ProxyException f) {
        if (state == State.DONE || state == State.UPGRADED || !FAILURE.compareAndSet(this, null, f)) {
            return;
        }
        ClientExchange s = site;
        if (s != null) {
            s.cancel();
        }
        AnswerWriter w = writer;
        if (w != null) {
            w.drain();
        } else {
            state = State.DONE;
            result.completeExceptionally(f);
        }
    }

    /**
     * Step 7 on failure (writer): when nothing was sent yet the response is reset and the caller
     * writes the error page; else the visitor's response is aborted. Once the container ended the
     * request, nothing is touched.
     */
    private void onFailure(ProxyException f, AnswerWriter w) {
        state = State.DONE;
        w.releasePending();
        boolean done = containerDone;
        boolean committed;
        if (done) {
            committed = true; // the container ended the request: no page, no abort, no touch
        } else {
            committed = response.isCommitted();
            if (!committed && headWritten) {
                response.reset(); // nothing sent yet: the caller can still write an error page
            }
        }
        LOG.debug("[{}] {} {} failed ({}{}): {}", id, method, target.pathAndQuery(), f.kind(),
                committed ? ", response already started" : "", f.getMessage());
        if (committed) {
            if (!done) {
                abortVisitorResponse();
            }
            result.completeExceptionally(new ProxyException(f.kind(), true, f.getMessage(), f.getCause()));
        } else {
            result.completeExceptionally(f);
        }
    }

    /**
     * The container's word that the request is over (from its own thread, before it recycles the
     * request): an exchange still under way stops here, its stream is reset and it never writes
     * again (a late write could land on the recycled objects of another visitor's connection).
     */
    private void containerEnded(String why) {
        containerDone = true; // a drain pass that starts from now on touches nothing
        AnswerWriter w = writer;
        if (w != null) {
            w.awaitPassOver(); // one that started before: the container recycles only after it
        }
        if (state == State.DONE) {
            return; // the usual end (our own complete()): no failure to build
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
