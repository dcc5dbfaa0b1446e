package io.ipnslink.filter.proxy;

import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.tunnel.client.ClientExchange;
import io.netty.buffer.Unpooled;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * Visitor to site: reads the visitor's request body (servlet non-blocking input) while the site
 * stream takes more, and writes it to the stream in pieces of {@link #PIECE} bytes.
 *
 * <p>It runs on the container's threads ({@code onDataAvailable}, {@code onAllDataRead}) and on the
 * stream's event loop (writable again), one thread at a time without a lock: a call while another
 * thread pumps makes that one go round once more ({@link #pump}). So the container's input is never
 * touched under a lock an event loop can wait for: Tomcat's {@code isReady()} on a non-container
 * thread takes the processor's dispatch lock, which its own threads hold while they call this
 * listener (a deadlock once seen between {@code onAllDataRead} and a pump after backpressure).
 */
final class RequestBodyPump implements ReadListener {
    /** Bytes read from the visitor per piece. */
    static final int PIECE = 16 * 1024;

    private static final AtomicIntegerFieldUpdater<RequestBodyPump> WIP =
            AtomicIntegerFieldUpdater.newUpdater(RequestBodyPump.class, "wip");

    private final GatewayExchange exchange;
    private final ClientExchange site;
    private final ServletInputStream in;
    private final long maxBytes;
    /** Counts the bytes forwarded to the site (one add per piece), or null. */
    private final RequestMeter meter;
    private final byte[] buf = new byte[PIECE];
    /** Pump calls under way or asked for meanwhile (the one that made it 1 pumps). */
    private volatile int wip;
    /** The stream was not writable: its next writability change pumps. */
    private volatile boolean waitingForWritable;
    /** The container said the whole body was read. */
    private volatile boolean allRead;
    // the pumping thread's own
    private long bytes;
    private boolean endSent;

    RequestBodyPump(GatewayExchange exchange, ClientExchange site, ServletInputStream in, long maxBytes,
            RequestMeter meter) {
        this.meter = meter;
        this.exchange = exchange;
        this.site = site;
        this.in = in;
        this.maxBytes = maxBytes;
    }

    @Override
    public void onDataAvailable() {
        try {
            pump();
        } finally {
            ContainerThreads.leave();
        }
    }

    @Override
    public void onAllDataRead() {
        allRead = true;
        try {
            pump(); // the end goes out after every piece read before it, from the pumping thread
        } finally {
            ContainerThreads.leave();
        }
    }

    @Override
    public void onError(Throwable t) {
        try {
            exchange.fail(ProxyException.Kind.CLIENT_GONE, "the visitor's request body broke off: " + t.getMessage(), t);
        } finally {
            ContainerThreads.leave();
        }
    }

    /** The stream takes more again (its event loop). */
    void onWritable() {
        if (waitingForWritable) {
            waitingForWritable = false;
            pump();
        }
    }

    /** Pumps, or makes the thread pumping now go round once more. */
    void pump() {
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        int missed = 1;
        do {
            pumpOnce();
            missed = WIP.addAndGet(this, -missed);
        } while (missed != 0);
    }

    private void pumpOnce() {
        boolean wrote = false;
        try {
            while (!exchange.isOver()) {
                if (!site.isWritable()) {
                    waitingForWritable = true;
                    if (!site.isWritable()) {
                        break; // the writability change pumps again
                    }
                    waitingForWritable = false;
                }
                if (allRead || !in.isReady()) {
                    break;
                }
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    continue;
                }
                bytes += n;
                if (bytes > maxBytes) {
                    exchange.fail(ProxyException.Kind.REQUEST_TOO_LARGE, "request body is above the "
                            + maxBytes + "-byte limit", null);
                    return;
                }
                site.writeBody(Unpooled.copiedBuffer(buf, 0, n));
                if (meter != null) {
                    meter.addBytesIn(n);
                }
                wrote = true;
            }
        } catch (IOException | RuntimeException e) {
            exchange.fail(ProxyException.Kind.CLIENT_GONE, "the visitor's request body broke off: " + e.getMessage(), e);
            return;
        }
        if (allRead && !endSent && !exchange.isOver()) {
            endSent = true;
            site.endBody(); // flushes the pieces before it too
        } else if (wrote) {
            site.flushBody();
        }
    }
}
