package io.ipnslink.filter.limits;

import io.ipnslink.routing.server.ClientAddress;
import io.ipnslink.routing.server.ClientRateLimiter;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The gateway's limits per visitor ({@link VisitorLimits}), keyed by client IP address
 * ({@link ClientAddress#key}: IPv4 whole, IPv6 by its /64; the address as
 * {@code route/PublicRequest} gives it, so clients behind trusted proxies count one by one).
 *
 * <ul>
 *   <li><b>Rate</b>: a token bucket per visitor ({@link ClientRateLimiter}), in a table of at most
 *       {@link VisitorLimits#maxTracked()} visitors kept in least-recently-seen order: a visitor
 *       beyond that forgets the one seen longest ago (whose bucket has usually refilled), so a
 *       flood of random addresses neither grows memory nor clears the table at once; a visitor
 *       that keeps asking stays in it.</li>
 *   <li><b>Open requests</b>: requests of one visitor in progress at once. A request that is
 *       admitted holds a {@link Ticket} until it ended, whichever way; the count per visitor is
 *       held only while above zero, so this table is bounded by the requests in progress.</li>
 * </ul>
 * A refused request takes nothing: neither a token nor a slot. Thread safe.
 */
public final class VisitorLimiter {
    /** Retry-After of a refusal for too many open requests: the visitor's own requests end soon or never. */
    public static final Duration OPEN_REQUESTS_RETRY_AFTER = Duration.ofSeconds(1);

    private final VisitorLimits limits;
    private final ClientRateLimiter rate;
    /** Open requests per visitor key, only keys above zero; guarded by {@code this}. */
    private final Map<String, Integer> open = new HashMap<>();

    public VisitorLimiter(VisitorLimits limits, Clock clock) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.rate = new ClientRateLimiter(limits.burst(), limits.perSecond(), limits.maxTracked(), clock);
    }

    /** The answer to a visitor's request. */
    public sealed interface Admission {
        /** Go on; release the ticket when the request ended. */
        record Admitted(Ticket ticket) implements Admission {}

        /**
         * Refused (429).
         *
         * @param retryAfter when the visitor may try again
         * @param reason a short sentence for the visitor's page
         */
        record Refused(Duration retryAfter, String reason) implements Admission {}
    }

    /** A request in progress; {@link #release} (idempotent) when it ended. */
    public static final class Ticket {
        private final VisitorLimiter owner;
        private final String key;
        private final AtomicBoolean released = new AtomicBoolean();

        private Ticket(VisitorLimiter owner, String key) {
            this.owner = owner;
            this.key = key;
        }

        /** Ends the request's hold on its visitor's open requests; later calls do nothing. */
        public void release() {
            if (owner != null && released.compareAndSet(false, true)) {
                owner.release(key);
            }
        }

        /** Whether {@link #release} was called ({@link #UNLIMITED} counts as released). */
        public boolean released() {
            return owner == null || released.get();
        }
    }

    /** The ticket of a request no limit applies to (exempt visitors, requests not counted). */
    public static final Ticket UNLIMITED = new Ticket(null, null);

    /**
     * Admits a request of the visitor at {@code clientAddress}, or refuses it: too many of its
     * requests are in progress, or its bucket is empty.
     */
    public Admission admit(String clientAddress) {
        if (clientAddress != null && limits.isExempt(clientAddress)) {
            return new Admission.Admitted(UNLIMITED);
        }
        String key = ClientAddress.key(clientAddress);
        synchronized (this) {
            int now = open.getOrDefault(key, 0);
            if (now >= limits.maxOpenRequests()) {
                return new Admission.Refused(OPEN_REQUESTS_RETRY_AFTER, "Too many requests from your address are"
                        + " in progress at once (at most " + limits.maxOpenRequests() + ").");
            }
            Optional<Duration> wait = rate.acquire(clientAddress);
            if (wait.isPresent()) {
                return new Admission.Refused(wait.get(), "Too many requests from your address (at most "
                        + rateText() + ").");
            }
            open.put(key, now + 1);
        }
        return new Admission.Admitted(new Ticket(this, key));
    }

    private synchronized void release(String key) {
        Integer n = open.get(key);
        if (n == null) {
            return; // cannot happen: a ticket is released once
        }
        if (n <= 1) {
            open.remove(key);
        } else {
            open.put(key, n - 1);
        }
    }

    /** Requests in progress of the visitor at {@code clientAddress} (tests, status). */
    public synchronized int openRequests(String clientAddress) {
        return open.getOrDefault(ClientAddress.key(clientAddress), 0);
    }

    /** Visitors with requests in progress (tests, status). */
    public synchronized int visitorsWithOpenRequests() {
        return open.size();
    }

    /** Visitors whose rate is tracked (at most {@link VisitorLimits#maxTracked()}). */
    public int trackedVisitors() {
        return rate.trackedClients();
    }

    public VisitorLimits limits() {
        return limits;
    }

    private String rateText() {
        double r = limits.perSecond();
        String perSecond = r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
        return perSecond + " per second, " + limits.burst() + " at once";
    }
}
