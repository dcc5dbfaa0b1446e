package io.ipnslink.exposer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.relay.RelayReservation;
import io.ipnslink.p2p.protocol.relay.ReservationHandle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relay reservations on the gateways an exposer publishes to: each {@code --publish-to} origin is
 * asked for its {@code /.well-known/ipns-link} document ({@link Document}) at start and at every
 * address check ({@link #refresh()}); a gateway that says {@code "relay": true} gets a reservation
 * at the addresses it gives, as if named by {@code --relay}. A changed document replaces the
 * reservation; a failed fetch keeps it and is retried with back-off; a routing endpoint that is not
 * an IPNS-Link gateway (404) is normal and logged at debug. One reservation per gateway peer, none
 * on a peer already named by {@code --relay}. Relayed addresses for the manifest:
 * {@code ADDRESS/p2p/GATEWAY/p2p-circuit} for each address of the document while the reservation is
 * held (the document is where the gateway says how it is reached; the reservation's own list holds
 * its listen addresses, which behind a load balancer or in a container are not the public ones).
 */
public final class GatewayRelays implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayRelays.class);
    /** Where a gateway answers with its document. */
    public static final String PATH = "/.well-known/ipns-link";
    /** Largest document read. */
    public static final int MAX_DOCUMENT_BYTES = 4096;
    /** Most addresses taken from one document. */
    public static final int MAX_ADDRESSES = 8;
    /** Most gateways reserved on (one per publish-to origin, each origin asked). */
    public static final int MAX_GATEWAYS = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpClient client(Duration connectTimeout) {
        return HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(connectTimeout).build();
    }

    /** One client for every exposer with the default timeout (a JDK 17 HttpClient cannot be closed: share it). */
    private static final class SharedClient {
        static final HttpClient HTTP = client(Settings.defaults().fetchTimeout());
    }

    /**
     * @param fetchTimeout longest one document fetch may take, connect to last byte
     * @param firstRetry wait before asking again after a failed fetch (doubles each time)
     * @param maxRetry longest such wait
     */
    public record Settings(Duration fetchTimeout, Duration firstRetry, Duration maxRetry) {
        public Settings {
            Objects.requireNonNull(fetchTimeout, "fetchTimeout");
            Objects.requireNonNull(firstRetry, "firstRetry");
            Objects.requireNonNull(maxRetry, "maxRetry");
        }

        /** 5 s per fetch; retries after 30 s, doubling up to 10 min. */
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(10));
        }
    }

    /**
     * A gateway's document: {@code {"version":1,"peer":"12D3KooW...","addresses":["/dns4/gw.example/tcp/4001"],
     * "relay":true}}. Unknown fields are ignored (fields added later keep the version).
     */
    public record Document(PeerId peer, List<Multiaddr> addresses, boolean relay) {
        public Document {
            Objects.requireNonNull(peer, "peer");
            addresses = List.copyOf(addresses);
        }

        /**
         * Reads a document of at most {@link #MAX_DOCUMENT_BYTES}: version 1, a peer id, at most
         * {@link #MAX_ADDRESSES} multiaddrs (a trailing {@code /p2p/PEER} must name the same peer
         * and is dropped; none through a relay), a boolean {@code relay}.
         *
         * @throws IllegalArgumentException saying what is wrong
         */
        public static Document parse(byte[] json) {
            if (json.length > MAX_DOCUMENT_BYTES) {
                throw new IllegalArgumentException("larger than " + MAX_DOCUMENT_BYTES + " bytes");
            }
            JsonNode root;
            try {
                root = JSON.readTree(json);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("not JSON: " + firstLine(e.getMessage()));
            }
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            JsonNode version = root.get("version");
            if (version == null || !version.isInt() || version.intValue() != 1) {
                throw new IllegalArgumentException("\"version\" must be 1, not " + clip(String.valueOf(version)));
            }
            JsonNode peerNode = root.get("peer");
            if (peerNode == null || !peerNode.isTextual()) {
                throw new IllegalArgumentException("no \"peer\" text");
            }
            PeerId peer;
            try {
                peer = PeerId.parse(peerNode.textValue());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("\"peer\" is not a peer id: " + clip(peerNode.textValue()));
            }
            JsonNode relayNode = root.get("relay");
            if (relayNode == null || !relayNode.isBoolean()) {
                throw new IllegalArgumentException("no \"relay\" true or false");
            }
            JsonNode addrs = root.get("addresses");
            if (addrs == null || !addrs.isArray()) {
                throw new IllegalArgumentException("no \"addresses\" list");
            }
            if (addrs.size() > MAX_ADDRESSES) {
                throw new IllegalArgumentException("more than " + MAX_ADDRESSES + " addresses");
            }
            List<Multiaddr> out = new ArrayList<>();
            for (JsonNode a : addrs) {
                if (!a.isTextual()) {
                    throw new IllegalArgumentException("an address is not text");
                }
                Multiaddr m;
                try {
                    m = Multiaddr.parse(a.textValue());
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("address " + clip(a.textValue()) + " is not a multiaddr");
                }
                if (m.has(Multiaddr.Protocol.P2P_CIRCUIT)) {
                    throw new IllegalArgumentException("address " + m + " goes through a relay");
                }
                List<Multiaddr.Component> cs = m.components();
                if (!cs.isEmpty() && cs.get(cs.size() - 1).protocol() == Multiaddr.Protocol.P2P) {
                    PeerId named;
                    try {
                        named = PeerId.parse(cs.get(cs.size() - 1).valueText());
                    } catch (RuntimeException e) {
                        throw new IllegalArgumentException("address " + m + " ends in a bad peer id");
                    }
                    if (!peer.equals(named)) {
                        throw new IllegalArgumentException("address " + m + " names another peer than " + peer);
                    }
                    m = m.decapsulate(Multiaddr.Protocol.P2P);
                }
                if (m.has(Multiaddr.Protocol.P2P) || m.components().isEmpty()) {
                    throw new IllegalArgumentException("address " + clip(a.textValue()) + " is not a transport address");
                }
                if (!out.contains(m)) {
                    out.add(m);
                }
            }
            return new Document(peer, out, relayNode.booleanValue());
        }
    }

    /** What one publish-to origin last said. */
    private static final class Origin {
        final URI origin;
        final URI url;
        Document document;
        String state = "not asked yet";
        boolean fetching;
        long nextFetchNanos;
        Duration retryDelay;

        Origin(URI origin, Duration firstRetry) {
            this.origin = origin;
            this.url = URI.create(origin + PATH);
            this.retryDelay = firstRetry;
        }
    }

    /** A reservation made from a document. */
    private record Held(PeerId peer, List<Multiaddr> addresses, URI origin, ReservationHandle handle) {}

    private final Host host;
    private final Set<PeerId> excluded;
    private final Runnable onChange;
    private final ScheduledExecutorService scheduler;
    private final Settings settings;
    private final HttpClient http;
    private final List<Origin> origins = new ArrayList<>();
    private final Map<PeerId, Held> held = new LinkedHashMap<>();
    private boolean closed;

    /**
     * @param host the exposer's host (reserves)
     * @param publishTo the routing endpoints; their origins ({@code scheme://authority}) are asked
     * @param excluded peers reserved on through {@code --relay}: never twice
     * @param onChange run after a reservation was made, replaced, dropped, granted or lost (must not block)
     * @param scheduler runs the retries after failed fetches
     */
    public GatewayRelays(Host host, List<URI> publishTo, Set<PeerId> excluded, Runnable onChange,
            ScheduledExecutorService scheduler, Settings settings) {
        this.host = Objects.requireNonNull(host, "host");
        this.excluded = Set.copyOf(excluded);
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.http = settings.fetchTimeout().equals(Settings.defaults().fetchTimeout()) ? SharedClient.HTTP
                : client(settings.fetchTimeout());
        for (URI r : publishTo) {
            String scheme = r.getScheme() == null ? "" : r.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || r.getRawAuthority() == null) {
                LOG.warn("gateway relay: {} is not an http(s) URL; not asked for {}", r, PATH);
                continue;
            }
            URI o = URI.create(scheme + "://" + r.getRawAuthority());
            if (origins.stream().noneMatch(x -> x.origin.equals(o)) && origins.size() < MAX_GATEWAYS) {
                origins.add(new Origin(o, settings.firstRetry()));
            }
        }
    }

    /**
     * Asks every origin that is due (not in back-off, no fetch running) for its document, in the
     * background. The future completes when those fetches are done and their reservations asked for.
     */
    public CompletableFuture<Void> refresh() {
        List<CompletableFuture<Void>> started = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            long now = System.nanoTime();
            for (Origin o : origins) {
                if (!o.fetching && now - o.nextFetchNanos >= 0) {
                    o.fetching = true;
                    started.add(fetch(o));
                }
            }
        }
        return CompletableFuture.allOf(started.toArray(CompletableFuture[]::new));
    }

    /**
     * Waits at most {@code max} (all together) for the documents and then for the first grant of each
     * reservation made from them; used when these are the only addresses the manifest will have.
     */
    public void awaitFirst(CompletableFuture<Void> refreshed, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        try {
            refreshed.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return;
        }
        List<Held> now;
        synchronized (this) {
            now = List.copyOf(held.values());
        }
        for (Held h : now) {
            try {
                h.handle.first().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                LOG.info("reserved on gateway {} ({})", h.origin, h.peer);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.info("no reservation on gateway {} yet; trying again in the background", h.origin);
            }
        }
    }

    private CompletableFuture<Void> fetch(Origin o) {
        HttpRequest req = HttpRequest.newBuilder(o.url).timeout(settings.fetchTimeout())
                .header("Accept", "application/json").GET().build();
        CompletableFuture<HttpResponse<byte[]>> sent;
        try {
            sent = http.sendAsync(req, info -> new LimitedBody(MAX_DOCUMENT_BYTES));
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<HttpResponse<byte[]>> exchange = sent;
        return exchange.copy().orTimeout(settings.fetchTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .handle((resp, error) -> {
                    if (error != null) {
                        exchange.cancel(true); // a slow or endless answer: drop the connection
                    }
                    fetched(o, resp, error);
                    return null;
                });
    }

    private void fetched(Origin o, HttpResponse<byte[]> resp, Throwable error) {
        boolean changed;
        synchronized (this) {
            o.fetching = false;
            if (closed) {
                return;
            }
            Document doc = null;
            String failure = null;
            boolean notAGateway = false;
            if (error != null) {
                Throwable c = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                // the request's own timeout and the exchange's have the same length: either may fire first
                failure = c instanceof java.util.concurrent.TimeoutException || c instanceof java.net.http.HttpTimeoutException
                        ? "no answer within " + settings.fetchTimeout().toMillis() + " ms"
                        : c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + firstLine(c.getMessage()));
            } else if (resp.statusCode() == 404) {
                notAGateway = true;
                failure = "404: not an IPNS-Link gateway";
            } else if (resp.statusCode() != 200) {
                failure = "HTTP " + resp.statusCode();
            } else {
                try {
                    doc = Document.parse(resp.body());
                } catch (RuntimeException e) {
                    failure = "bad document: " + e.getMessage();
                }
            }
            if (doc == null) {
                o.state = failure + (o.document != null ? " (keeping the last document)" : "");
                o.nextFetchNanos = System.nanoTime() + o.retryDelay.toNanos();
                Duration retryIn = o.retryDelay;
                Duration doubled = o.retryDelay.multipliedBy(2);
                o.retryDelay = doubled.compareTo(settings.maxRetry()) > 0 ? settings.maxRetry() : doubled;
                if (notAGateway) {
                    LOG.debug("gateway relay: {} answered 404 (a routing endpoint, not an IPNS-Link gateway);"
                            + " asking again in {} s", o.url, retryIn.toSeconds());
                } else {
                    LOG.warn("gateway relay: {}: {}; asking again in {} s", o.url, failure, retryIn.toSeconds());
                }
                scheduleRetry(retryIn);
                return;
            }
            o.retryDelay = settings.firstRetry();
            o.nextFetchNanos = System.nanoTime();
            o.state = !doc.relay() ? "no relay service"
                    : doc.addresses().isEmpty() ? "relay without addresses"
                    : excluded.contains(doc.peer()) ? "relay (reserved through --relay)" : "relay";
            if (!doc.equals(o.document)) {
                LOG.info("gateway relay: {} is peer {} at {}, relay {}", o.origin, doc.peer(), doc.addresses(),
                        doc.relay() ? "on" : "off");
            }
            o.document = doc;
            changed = reconcile();
        }
        if (changed) {
            onChange.run();
        }
    }

    private void scheduleRetry(Duration in) {
        try {
            scheduler.schedule(this::refresh, in.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Makes the held reservations match the documents: one per relaying peer, first origin's addresses. */
    private boolean reconcile() {
        Map<PeerId, Held> wanted = new LinkedHashMap<>();
        for (Origin o : origins) {
            Document d = o.document;
            if (d != null && d.relay() && !d.addresses().isEmpty() && !excluded.contains(d.peer())
                    && !d.peer().equals(host.peerId()) && !wanted.containsKey(d.peer())) {
                wanted.put(d.peer(), new Held(d.peer(), d.addresses(), o.origin, null));
            }
        }
        boolean changed = false;
        for (var it = held.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<PeerId, Held> e = it.next();
            Held w = wanted.get(e.getKey());
            if (w == null || !w.addresses().equals(e.getValue().addresses())) {
                LOG.info("gateway relay: dropping the reservation on {} ({})", e.getValue().origin, e.getKey());
                e.getValue().handle.close();
                it.remove();
                changed = true;
            }
        }
        for (Held w : wanted.values()) {
            if (!held.containsKey(w.peer())) {
                ReservationHandle h = host.reserve(w.peer(), w.addresses());
                h.onChange(onChange);
                held.put(w.peer(), new Held(w.peer(), w.addresses(), w.origin(), h));
                LOG.info("gateway relay: reserving on {} ({}) at {}", w.origin(), w.peer(), w.addresses());
                changed = true;
            }
        }
        return changed;
    }

    /** {@code ADDRESS/p2p/GATEWAY/p2p-circuit} for each held reservation's document addresses. */
    public synchronized List<Multiaddr> relayedAddresses() {
        List<Multiaddr> out = new ArrayList<>();
        for (Held h : held.values()) {
            if (h.handle.current().isPresent()) {
                Multiaddr suffix = Multiaddr.parse("/p2p/" + h.peer.toBase58() + "/p2p-circuit");
                for (Multiaddr a : h.addresses) {
                    out.add(a.encapsulate(suffix));
                }
            }
        }
        return out;
    }

    /** Reservations made from documents: {@code [held now, wanted]} (metrics). */
    public synchronized int[] reservationCounts() {
        int heldNow = 0;
        for (Held h : held.values()) {
            if (h.handle.current().isPresent()) {
                heldNow++;
            }
        }
        return new int[] {heldNow, held.size()};
    }

    /** For {@code status}: each reservation made from a document, where it came from and whether it is held. */
    public synchronized List<Map<String, Object>> reservations() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Held h : held.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("relay", h.addresses.get(0) + "/p2p/" + h.peer.toBase58());
            m.put("source", "gateway " + h.origin);
            Optional<RelayReservation> g = h.handle.current();
            m.put("held", g.isPresent());
            g.ifPresent(x -> {
                m.put("expires", x.expires().toString());
                m.put("addresses", h.addresses.stream().map(a -> a + "/p2p/" + h.peer.toBase58() + "/p2p-circuit")
                        .toList());
            });
            out.add(m);
        }
        return out;
    }

    /** For {@code status}: what each publish-to origin's document last said (or why there is none). */
    public synchronized List<Map<String, Object>> gateways() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Origin o : origins) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("origin", o.origin.toString());
            m.put("state", o.state);
            if (o.document != null) {
                m.put("peer", o.document.peer().toString());
            }
            out.add(m);
        }
        return out;
    }

    @Override
    public void close() {
        List<Held> toClose;
        synchronized (this) {
            closed = true;
            toClose = List.copyOf(held.values());
            held.clear();
        }
        for (Held h : toClose) {
            h.handle.close();
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : clip(s.lines().findFirst().orElse(""));
    }

    private static String clip(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "..." : s;
    }

    /** Collects at most {@code max} bytes of a body; more fails the exchange (and cancels the stream). */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        LimitedBody(int max) {
            this.max = max;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                if (buf.size() + b.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new IOException("the document is larger than " + max + " bytes"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                buf.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(buf.toByteArray());
        }

        @Override
        public java.util.concurrent.CompletionStage<byte[]> getBody() {
            return result;
        }
    }
}
