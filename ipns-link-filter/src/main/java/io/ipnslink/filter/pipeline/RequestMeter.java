package io.ipnslink.filter.pipeline;

import io.ipnslink.core.ipns.IpnsName;
import jakarta.servlet.ServletRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one request did, filled in as it goes and read by the {@link RequestObserver}s when it ended:
 * its site, its route kind, its status, bytes in and out, and the moments of its phases
 * ({@link System#nanoTime()} values; 0 = did not happen). Kept as a request attribute
 * ({@link #ATTRIBUTE}) so that every part of the request's path can reach it. Cheap: a few fields
 * per request, no locks on the byte counters' path but an atomic add.
 */
public final class RequestMeter {
    /** Request attribute holding the request's meter. */
    public static final String ATTRIBUTE = RequestMeter.class.getName();

    /** What kind of request the router made of it. */
    public enum Kind {
        /** A site request ({@code /ipns/{name}/...}, subdomain, DNSLink host, custom domain). */
        SITE,
        /** The raw IPNS record ({@code ?format=ipns-record}). */
        RECORD,
        /** The routing v1 endpoint. */
        ROUTING,
        /** Redirects, invalid requests, the well-known document. */
        OTHER
    }

    private final String requestId;
    private final Kind kind;
    private final long startNanos;
    private volatile IpnsName site;
    private volatile int status;
    private volatile String failure;
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private volatile long resolveStartNanos;
    private volatile long resolvedNanos;
    private volatile long dialStartNanos;
    private volatile long dialedNanos;
    private volatile long firstByteNanos;
    private volatile long endNanos;
    private volatile boolean upgraded;
    private final AtomicBoolean ended = new AtomicBoolean();
    private List<Runnable> onEnd; // guarded by this

    public RequestMeter(String requestId, Kind kind, long startNanos) {
        this.requestId = requestId;
        this.kind = kind;
        this.startNanos = startNanos;
    }

    /** The meter of {@code request}, or null when the gateway does not meter it. */
    public static RequestMeter of(ServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof RequestMeter m ? m : null;
    }

    public String requestId() {
        return requestId;
    }

    public Kind kind() {
        return kind;
    }

    public long startNanos() {
        return startNanos;
    }

    /** The site's name once known (null for requests about no site, or before the name was known). */
    public IpnsName site() {
        return site;
    }

    public void site(IpnsName name) {
        this.site = name;
    }

    /** The status sent to the visitor (set when the request ended; 0 if none was sent). */
    public int status() {
        return status;
    }

    public void status(int s) {
        this.status = s;
    }

    /** The failure kind ({@code origin-unreachable}, {@code denied}, ...) when the request failed, else null. */
    public String failure() {
        return failure;
    }

    public void failure(String kind) {
        this.failure = kind;
    }

    /** Request body bytes forwarded to the site (upgraded connections: bytes from the visitor). */
    public long bytesIn() {
        return bytesIn.get();
    }

    public void addBytesIn(long n) {
        bytesIn.addAndGet(n);
    }

    /** Answer body bytes sent to the visitor (upgraded connections: bytes to the visitor). */
    public long bytesOut() {
        return bytesOut.get();
    }

    public void addBytesOut(long n) {
        bytesOut.addAndGet(n);
    }

    public long resolveStartNanos() {
        return resolveStartNanos;
    }

    public void resolveStart(long nanos) {
        resolveStartNanos = nanos;
    }

    public long resolvedNanos() {
        return resolvedNanos;
    }

    public void resolved(long nanos) {
        resolvedNanos = nanos;
    }

    public long dialStartNanos() {
        return dialStartNanos;
    }

    public void dialStart(long nanos) {
        dialStartNanos = nanos;
    }

    /** When a stream to the site was open (a kept stream: at once). */
    public long dialedNanos() {
        return dialedNanos;
    }

    public void dialed(long nanos) {
        dialedNanos = nanos;
    }

    /** When the site's answer head arrived. */
    public long firstByteNanos() {
        return firstByteNanos;
    }

    public void firstByte(long nanos) {
        if (firstByteNanos == 0) {
            firstByteNanos = nanos;
        }
    }

    public long endNanos() {
        return endNanos;
    }

    /** Whether the request became an upgraded connection (WebSocket). */
    public boolean upgraded() {
        return upgraded;
    }

    public void upgraded(boolean u) {
        upgraded = u;
    }

    /** Time spent upstream: from the dial's start (or the resolution's end) to the end; 0 when never forwarded. */
    public long upstreamNanos() {
        long from = dialStartNanos != 0 ? dialStartNanos : 0;
        return from == 0 || endNanos == 0 ? 0 : Math.max(0, endNanos - from);
    }

    /**
     * Runs {@code action} when the request ended (at once when it has already ended). Gates use it
     * to give back what they took for the request.
     */
    public void whenEnded(Runnable action) {
        synchronized (this) {
            if (!ended.get()) {
                if (onEnd == null) {
                    onEnd = new ArrayList<>(2);
                }
                onEnd.add(action);
                return;
            }
        }
        action.run();
    }

    /**
     * The request ended with {@code finalStatus}: records the end, runs the {@link #whenEnded}
     * actions, and returns true the first time only (observers are told once).
     */
    public boolean end(int finalStatus, long nanos) {
        List<Runnable> actions;
        synchronized (this) {
            if (!ended.compareAndSet(false, true)) {
                return false;
            }
            if (status == 0) {
                status = finalStatus;
            }
            endNanos = nanos;
            actions = onEnd;
            onEnd = null;
        }
        if (actions != null) {
            for (Runnable r : actions) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(RequestMeter.class)
                            .warn("[{}] an end-of-request action failed: {}", requestId, e.toString());
                }
            }
        }
        return true;
    }

    public boolean hasEnded() {
        return ended.get();
    }

    @Override
    public String toString() {
        return "RequestMeter[" + requestId + " " + kind + " " + site + " " + status + "]";
    }
}
