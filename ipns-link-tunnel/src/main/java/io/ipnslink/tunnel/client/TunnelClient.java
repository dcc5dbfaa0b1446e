package io.ipnslink.tunnel.client;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.netty.handler.codec.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's side of the tunnel: leases a stream to a site for each {@link ClientExchange}, a
 * kept one from the {@link StreamPool} (requests without a body only) or a fresh one over the host's
 * connection to the site's peer ({@link Host#newStreamPipelined}: the request goes out without
 * waiting for the protocol answer).
 *
 * <p>The host belongs to the caller.
 */
public final class TunnelClient {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelClient.class);

    /**
     * Limits of the client.
     *
     * @param dialTimeout connect + secure + negotiate a fresh stream
     * @param firstByteTimeout from the request's last byte sent to the answer head received
     * @param idleTimeout no byte either way on the stream for this long ends the exchange
     * @param maxIdleStreamsPerSite streams kept open between requests per site; 0: a fresh stream each time
     */
    public record Settings(Duration dialTimeout, Duration firstByteTimeout, Duration idleTimeout,
            int maxIdleStreamsPerSite) {
        public Settings {
            Objects.requireNonNull(dialTimeout, "dialTimeout");
            Objects.requireNonNull(firstByteTimeout, "firstByteTimeout");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            if (maxIdleStreamsPerSite < 0) {
                throw new IllegalArgumentException("maxIdleStreamsPerSite must be >= 0");
            }
        }
    }

    private final Host host;
    private final Settings settings;
    private final StreamPool pool;

    public TunnelClient(Host host, Settings settings) {
        this.host = host;
        this.settings = settings;
        this.pool = new StreamPool(settings.maxIdleStreamsPerSite());
    }

    Settings settings() {
        return settings;
    }

    StreamPool pool() {
        return pool;
    }

    /**
     * A new exchange (nothing is sent yet; {@link #send} leases its stream).
     *
     * @param requestId for log lines
     * @param head the request head as the site gets it, framed (Content-Length or chunked) when it has a body
     * @param hasBody whether a body follows the head ({@link ClientExchange#writeBody})
     */
    public ClientExchange exchange(String requestId, PeerId peer, String protocol, HttpRequest head, boolean hasBody,
            ClientExchange.Listener listener) {
        return new ClientExchange(this, requestId, new StreamPool.Key(peer, protocol), head, hasBody, listener);
    }

    /**
     * Leases a stream for {@code exchange} and sends its request: a kept stream of the site when the
     * request has no body and one waits, else a fresh one dialed over {@code addresses}.
     */
    public void send(ClientExchange exchange, List<Multiaddr> addresses) {
        exchange.addresses(addresses);
        StreamPool.Waiting kept = exchange.hasBody() ? null : pool.take(exchange.key());
        if (kept == null) {
            openFresh(exchange);
            return;
        }
        try {
            kept.channel().eventLoop().execute(() -> {
                if (pool.claim(kept)) {
                    exchange.reuse(kept.stream());
                } else {
                    openFresh(exchange); // closed while it waited
                }
            });
        } catch (RejectedExecutionException e) {
            openFresh(exchange); // the host is closing: the fresh stream fails and says so
        }
    }

    /**
     * Sends {@code exchange}'s request on a fresh stream, never a kept one: for an upgrade request,
     * whose stream the site may take over for good ({@code 101}).
     */
    public void sendFresh(ClientExchange exchange, List<Multiaddr> addresses) {
        exchange.addresses(addresses);
        openFresh(exchange);
    }

    /** A new stream to the site (over the host's connection to its peer, dialed when there is none). */
    void openFresh(ClientExchange exchange) {
        host.newStreamPipelined(exchange.key().peer(), exchange.addresses(), exchange.key().protocol(), exchange::install)
                .orTimeout(settings.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((stream, error) -> {
                    if (error == null) {
                        exchange.attach(stream, false);
                    } else {
                        String reason = dialFailure(error);
                        LOG.debug("[{}] dial of {} failed: {}", exchange.id(), exchange.key().peer(), reason);
                        exchange.dialFailed(reason, unwrap(error));
                    }
                });
    }

    private String dialFailure(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof TimeoutException) {
            return "no connection to the site within " + settings.dialTimeout().toMillis() + " ms";
        }
        if (e instanceof P2pException.NoSuchProtocol) {
            return "the site's peer does not serve this site";
        }
        if (e instanceof P2pException) {
            return "cannot reach the site: " + e.getMessage();
        }
        return "cannot reach the site: " + e;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
