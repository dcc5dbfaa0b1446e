package io.ipnslink.tunnel.client;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.p2p.Stream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Site streams kept open between requests: HTTP/1.1 keep-alive over a libp2p stream, so that a
 * request to a site the gateway just talked to skips opening a stream (yamux open, multistream
 * exchange, pipeline set-up on both peers).
 *
 * <p>A stream is given back once an answer ended and both sides allowed keep-alive; it waits here
 * with a handler that closes it on anything the site sends meanwhile (data, half-close, reset) or
 * on the stream's idle timeout. Requests take the most recently used stream of their site; one
 * that waited longer than {@link #MAX_IDLE_NANOS} is closed instead (the exposer may be about to
 * close it itself). Only requests without a body take a waiting stream: if the stream turns out to
 * be closed by the site before any answer arrives, the exchange repeats the request on a fresh
 * stream, which is only safe when nothing was consumed from the visitor.
 *
 * <p>Thread use: {@link #take} from any thread; {@link #give} and {@link #claim} on the stream's
 * event loop.
 */
public final class StreamPool {
    private static final Logger LOG = LoggerFactory.getLogger(StreamPool.class);

    /** Longest wait of a stream for its next request: well below the exposer's idle timeout (120 s by default). */
    public static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Name of the exchange's handler in a site stream's pipeline; the waiting handler takes its place. */
    public static final String HANDLER = "exchange";

    /** Which streams can serve a request: same peer, same site protocol. */
    public record Key(PeerId peer, String protocol) {}

    private final int maxPerSite;
    private final ConcurrentHashMap<Key, Site> sites = new ConcurrentHashMap<>();

    /** @param maxPerSite most streams kept waiting per site; 0 turns keeping streams off */
    public StreamPool(int maxPerSite) {
        if (maxPerSite < 0) {
            throw new IllegalArgumentException("maxPerSite must be >= 0");
        }
        this.maxPerSite = maxPerSite;
    }

    private static final class Site {
        final ConcurrentLinkedDeque<Waiting> waiting = new ConcurrentLinkedDeque<>();
        final AtomicInteger size = new AtomicInteger();
    }

    /**
     * A waiting stream, and its pipeline's handler while it waits. {@code claimed} and the handler
     * events are confined to the stream's event loop.
     */
    public final class Waiting extends ChannelInboundHandlerAdapter {
        private final Site site;
        private final Stream stream;
        private final long since = System.nanoTime();
        private boolean claimed;

        private Waiting(Site site, Stream stream) {
            this.site = site;
            this.stream = stream;
        }

        public Stream stream() {
            return stream;
        }

        public Channel channel() {
            return stream.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            LOG.debug("[{}] the site sent data on a waiting stream: reset", ctx.channel().id().asShortText());
            retire(true);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof IdleStateEvent) {
                retire(false); // the site is done with it, or nobody needed it for the idle timeout
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            retire(false);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            retire(true);
        }

        /** Leaves the pool and closes (or resets) the stream; on the event loop. */
        private void retire(boolean reset) {
            if (claimed) {
                return;
            }
            claimed = true;
            if (site.waiting.remove(this)) {
                site.size.decrementAndGet();
            }
            if (reset) {
                stream.reset();
            } else {
                stream.close();
            }
        }
    }

    /**
     * Keeps {@code stream}, whose exchange just ended, for the next request to the same site: the
     * exchange's handler is replaced by the waiting one. False (and nothing changed) when keeping
     * streams is off or the site has {@code maxPerSite} waiting already. On the stream's event loop.
     */
    public boolean give(Key key, Stream stream) {
        Channel ch = stream.channel();
        if (maxPerSite == 0 || !ch.isActive() || (ch instanceof DuplexChannel d && d.isInputShutdown())) {
            return false;
        }
        Site site = sites.computeIfAbsent(key, k -> new Site());
        if (site.size.incrementAndGet() > maxPerSite) {
            site.size.decrementAndGet();
            return false;
        }
        Waiting w = new Waiting(site, stream);
        ch.pipeline().replace(HANDLER, HANDLER, w);
        site.waiting.offerFirst(w);
        ch.read(); // anything the site sends while the stream waits reaches the waiting handler
        return true;
    }

    /**
     * The most recently used waiting stream of the site, or null. Streams that waited too long are
     * closed on the way. The caller then {@link #claim}s it on its event loop, where it may still
     * turn out to be closed meanwhile.
     */
    public Waiting take(Key key) {
        Site site = sites.get(key);
        if (site == null) {
            return null;
        }
        long now = System.nanoTime();
        for (Waiting w; (w = site.waiting.pollFirst()) != null; ) {
            site.size.decrementAndGet();
            if (now - w.since <= MAX_IDLE_NANOS) {
                return w;
            }
            Waiting stale = w;
            try {
                stale.channel().eventLoop().execute(() -> stale.retire(false));
            } catch (RejectedExecutionException e) {
                // the host is closing and closes the stream itself
            }
        }
        if (site.size.get() == 0) {
            sites.remove(key, site); // a site nobody visits any more leaves no entry behind
        }
        return null;
    }

    /**
     * Makes a taken stream the caller's: true when it is still open both ways and nothing retired it
     * meanwhile. On the stream's event loop; the caller then replaces the waiting handler.
     */
    public boolean claim(Waiting w) {
        Channel ch = w.channel();
        if (w.claimed || !ch.isActive() || (ch instanceof DuplexChannel d && (d.isInputShutdown() || d.isOutputShutdown()))) {
            if (!w.claimed) {
                w.retire(false);
            }
            return false;
        }
        w.claimed = true;
        return true;
    }
}
