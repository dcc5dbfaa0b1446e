package io.ipnslink.p2p.protocol.pubsub;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.core.ipns.IpnsRecords;
import io.ipnslink.core.ipns.IpnsValidator;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.fetch.Fetch;
import io.ipnslink.p2p.protocol.fetch.FetchService;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IPNS over PubSub (ipfs/specs ipns-pubsub-router.md) on a {@link Gossipsub} router: the topic of a
 * name is {@code /record/} + base64url-unpadded(routing key), the message data is the raw record.
 * Received records are checked by {@link IpnsValidator} (invalid: REJECT, so the sender's score
 * goes down; valid but not better than the one held: IGNORE; expired: IGNORE) and the best record
 * of each name is kept. Late joiners get the record through libp2p Fetch ({@code /libp2p/fetch/0.0.1},
 * key = routing key): this router answers from its records, and asks every peer that joins a topic
 * it is in (records better than its own are taken and published again). Own records are published
 * again every {@link Settings#republishInterval()}.
 *
 * <p>Bounded: at most {@link Settings#maxNames()} names are followed; subscribing to one more drops
 * the least recently used name that is not an own one ({@link #publish}). At most
 * {@link Settings#maxConcurrentFetches()} fetches run at once.
 *
 * <p>Use: the exposer calls {@link #publish} with its record at start and on every change; the
 * gateway calls {@link #resolve} (or {@link #subscribe}) for names it serves and reads
 * {@link #cached}.
 */
public final class IpnsPubsubRouter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IpnsPubsubRouter.class);

    public static final String TOPIC_PREFIX = "/record/";
    /** Listeners kept per name. */
    public static final int MAX_LISTENERS_PER_NAME = 16;

    /**
     * @param maxNames names followed at once (LRU beyond, own names excepted)
     * @param republishInterval own records are published again this often (Kubo: 10 min; 1 min here
     *        by default as exposers' records are short-lived)
     * @param fetchTimeout one fetch exchange
     * @param maxConcurrentFetches fetches running at once (joins beyond are not fetched)
     * @param maxResolvePeers peers asked by one {@link #resolve}
     */
    public record Settings(int maxNames, Duration republishInterval, Duration fetchTimeout, int maxConcurrentFetches,
            int maxResolvePeers) {
        public Settings {
            Objects.requireNonNull(republishInterval, "republishInterval");
            Objects.requireNonNull(fetchTimeout, "fetchTimeout");
            if (maxNames < 1 || maxConcurrentFetches < 1 || maxResolvePeers < 1 || republishInterval.isNegative()
                    || republishInterval.isZero() || fetchTimeout.isNegative() || fetchTimeout.isZero()) {
                throw new IllegalArgumentException("IPNS pubsub settings must be positive");
            }
        }

        /** 1,024 names, republish every minute, fetch 5 s, 16 fetches at once, 8 peers per resolve. */
        public static Settings defaults() {
            return new Settings(1024, Duration.ofMinutes(1), Duration.ofSeconds(5), 16, 8);
        }

        public Settings withMaxNames(int v) {
            return new Settings(v, republishInterval, fetchTimeout, maxConcurrentFetches, maxResolvePeers);
        }

        public Settings withRepublishInterval(Duration v) {
            return new Settings(maxNames, v, fetchTimeout, maxConcurrentFetches, maxResolvePeers);
        }
    }

    private static final class Entry {
        final IpnsName name;
        final String topic;
        IpnsRecord record;
        boolean own;
        final List<Consumer<IpnsRecord>> listeners = new ArrayList<>();

        Entry(IpnsName name) {
            this.name = name;
            this.topic = topic(name);
        }
    }

    private final Host host;
    private final Gossipsub gossipsub;
    private final FetchService fetchService;
    private final boolean ownFetchService;
    private final Settings settings;
    private final Clock clock;
    private final Semaphore fetches;
    private final ScheduledExecutorService timer;
    private final ScheduledFuture<?> republishTask;
    /** Guarded by {@code this}; access order (LRU). */
    private final LinkedHashMap<IpnsName, Entry> names = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, IpnsName> topics = new HashMap<>();
    private final Gossipsub.TopicListener joinListener = this::peerJoined;
    private volatile boolean closed;

    private IpnsPubsubRouter(Host host, Gossipsub gossipsub, FetchService fetchService, boolean ownFetchService,
            Settings settings, Clock clock) {
        this.host = host;
        this.gossipsub = gossipsub;
        this.fetchService = fetchService;
        this.ownFetchService = ownFetchService;
        this.settings = settings;
        this.clock = clock;
        this.fetches = new Semaphore(settings.maxConcurrentFetches());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ipns-pubsub-republish");
            t.setDaemon(true);
            return t;
        });
        long period = settings.republishInterval().toMillis();
        this.republishTask = timer.scheduleAtFixedRate(this::republishOwn, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the router on {@code gossipsub}. {@code fetchService}: a fetch server already
     * registered on the host to add the {@code /ipns/} lookup to, or null to register one here.
     */
    public static IpnsPubsubRouter start(Host host, Gossipsub gossipsub, FetchService fetchService, Settings settings) {
        return start(host, gossipsub, fetchService, settings, Clock.systemUTC());
    }

    public static IpnsPubsubRouter start(Host host, Gossipsub gossipsub, FetchService fetchService, Settings settings,
            Clock clock) {
        boolean own = fetchService == null;
        FetchService fs = own ? new FetchService() : fetchService;
        IpnsPubsubRouter r = new IpnsPubsubRouter(host, gossipsub, fs, own, settings, clock);
        fs.register(IpnsName.IPNS_PREFIX, r::lookup);
        if (own) {
            host.addProtocol(fs.binding());
        }
        gossipsub.addTopicListener(r.joinListener);
        return r;
    }

    /** {@code /record/} + base64url without padding of {@code /ipns/} + the binary peer id. */
    public static String topic(IpnsName name) {
        return TOPIC_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(name.routingKey());
    }

    /** The name of a {@code /record/} topic. @throws IllegalArgumentException when it is none */
    public static IpnsName nameOfTopic(String topic) {
        if (!topic.startsWith(TOPIC_PREFIX)) {
            throw new IllegalArgumentException("not an IPNS pubsub topic: " + topic);
        }
        byte[] key;
        try {
            key = Base64.getUrlDecoder().decode(topic.substring(TOPIC_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IPNS pubsub topic (not base64url): " + topic);
        }
        return IpnsName.fromRoutingKey(key);
    }

    public Gossipsub gossipsub() {
        return gossipsub;
    }

    /**
     * Publishes {@code record} for {@code name} (own name: kept, never evicted, published again
     * periodically and answered by fetch). Completes with the number of peers it went to.
     * @throws IpnsRecordException when the record is not valid for the name
     */
    public CompletableFuture<Integer> publish(IpnsName name, IpnsRecord record) {
        IpnsValidator.validate(name, record.raw(), clock.instant());
        Entry e = follow(name);
        synchronized (this) {
            e.own = true;
            if (e.record == null || IpnsRecords.compare(record, e.record) >= 0) {
                e.record = record;
            }
        }
        return gossipsub.publish(e.topic, record.raw());
    }

    /** Stops publishing {@code name} again (it stays followed like any other name). */
    public synchronized void stopPublishing(IpnsName name) {
        Entry e = names.get(name);
        if (e != null) {
            e.own = false;
        }
    }

    /**
     * Follows {@code name}: its topic is joined, and {@code onNewer} (may be null) hears every record
     * better than the one held (on the router's thread: quick, no blocking).
     */
    public void subscribe(IpnsName name, Consumer<IpnsRecord> onNewer) {
        Entry e = follow(name);
        synchronized (this) {
            if (onNewer != null) {
                if (e.listeners.size() >= MAX_LISTENERS_PER_NAME) {
                    throw new IllegalStateException("at most " + MAX_LISTENERS_PER_NAME + " listeners per name");
                }
                e.listeners.add(onNewer);
            }
        }
    }

    /** Stops following {@code name} (its topic is left, its record forgotten). */
    public void unsubscribe(IpnsName name) {
        Entry e;
        synchronized (this) {
            e = names.remove(name);
            if (e != null) {
                topics.remove(e.topic);
            }
        }
        if (e != null) {
            gossipsub.unsubscribe(e.topic);
        }
    }

    /** Names followed now (own included). */
    public synchronized Set<IpnsName> names() {
        return Set.copyOf(names.keySet());
    }

    /** The best unexpired record held for {@code name}. */
    public synchronized Optional<IpnsRecord> cached(IpnsName name) {
        Entry e = names.get(name);
        if (e == null || e.record == null || e.record.isExpired(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(e.record);
    }

    /**
     * Follows {@code name} and asks connected peers for its record by fetch (those in its topic
     * first, then others that serve fetch; at most {@link Settings#maxResolvePeers()}); completes
     * within {@code timeout} with the best unexpired record held then.
     */
    public CompletableFuture<Optional<IpnsRecord>> resolve(IpnsName name, Duration timeout) {
        subscribe(name, null);
        String topic = topic(name);
        Set<PeerId> inTopic = gossipsub.topicPeers(topic);
        List<Connection> ask = new ArrayList<>();
        List<Connection> others = new ArrayList<>();
        Set<PeerId> seenPeers = new java.util.HashSet<>();
        for (Connection c : host.connections()) {
            if (!c.isOpen() || !seenPeers.add(c.remotePeer())) {
                continue;
            }
            (inTopic.contains(c.remotePeer()) ? ask : others).add(c);
        }
        ask.addAll(others);
        List<CompletableFuture<?>> running = new ArrayList<>();
        Duration each = timeout.compareTo(settings.fetchTimeout()) < 0 ? timeout : settings.fetchTimeout();
        for (Connection c : ask) {
            if (running.size() >= settings.maxResolvePeers()) {
                break;
            }
            // a fresh connection may not have finished identify: ask once it has, if it serves fetch
            running.add(c.identify().thenCompose(info -> info.protocols().contains(Fetch.PROTOCOL_ID)
                    ? fetchFrom(name, c, each, false) : CompletableFuture.completedFuture(null)));
        }
        CompletableFuture<Optional<IpnsRecord>> result = new CompletableFuture<>();
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new))
                .completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((v, e) -> result.complete(cached(name)));
        return result;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        republishTask.cancel(false);
        timer.shutdownNow();
        gossipsub.removeTopicListener(joinListener);
        fetchService.unregister(IpnsName.IPNS_PREFIX);
        if (ownFetchService) {
            try {
                host.removeProtocol(Fetch.PROTOCOL_ID);
            } catch (RuntimeException e) {
                log.debug("removing fetch: {}", e.toString());
            }
        }
        List<String> leave;
        synchronized (this) {
            leave = new ArrayList<>(topics.keySet());
            names.clear();
            topics.clear();
        }
        for (String t : leave) {
            try {
                gossipsub.unsubscribe(t);
            } catch (RuntimeException e) {
                log.debug("leaving {}: {}", t, e.toString());
            }
        }
    }

    // -------------------------------------------------------------------------------------------

    /**
     * The entry of {@code name}, joining its topic when new. Called without the lock: the gossipsub
     * calls wait for the router's thread, whose validators take the lock.
     */
    private Entry follow(IpnsName name) {
        Entry e;
        Entry victim = null;
        synchronized (this) {
            e = names.get(name);
            if (e != null) {
                return e;
            }
            if (names.size() >= settings.maxNames()) {
                for (Entry x : names.values()) { // least recently used first
                    if (!x.own) {
                        victim = x;
                        break;
                    }
                }
                if (victim == null) {
                    throw new IllegalStateException("following " + settings.maxNames() + " own names already");
                }
                names.remove(victim.name);
                topics.remove(victim.topic);
                log.debug("no longer following {} (least recently used of {})", victim.name, settings.maxNames());
            }
            e = new Entry(name);
            names.put(name, e);
            topics.put(e.topic, name);
        }
        if (victim != null) {
            gossipsub.unsubscribe(victim.topic);
        }
        IpnsName n = name;
        gossipsub.setMessageIdFunction(e.topic, null);
        gossipsub.setValidator(e.topic, m -> CompletableFuture.completedFuture(validate(n, m)));
        gossipsub.subscribe(e.topic, m -> delivered(n, m));
        return e;
    }

    private ValidationResult validate(IpnsName name, PubsubMessage m) {
        IpnsRecord r;
        try {
            r = IpnsValidator.validate(name, m.data(), clock.instant());
        } catch (IpnsRecordException e) {
            if (e.reason() == IpnsRecordException.Reason.EXPIRED) {
                return ValidationResult.IGNORE;
            }
            log.debug("invalid IPNS record for {} from {}: {}", name, m.receivedFrom(), e.getMessage());
            return ValidationResult.REJECT;
        }
        synchronized (this) {
            Entry e = names.get(name);
            if (e == null) {
                return ValidationResult.IGNORE;
            }
            return e.record == null || IpnsRecords.isBetter(r, e.record) ? ValidationResult.ACCEPT
                    : ValidationResult.IGNORE;
        }
    }

    private void delivered(IpnsName name, PubsubMessage m) {
        IpnsRecord r;
        try {
            r = IpnsRecord.parse(m.data());
        } catch (RuntimeException e) {
            return; // validated just before: cannot happen
        }
        offer(name, r, m.receivedFrom(), false);
    }

    /** Takes {@code r} (already validated) when better; tells listeners; publishes it again if asked. */
    private void offer(IpnsName name, IpnsRecord r, PeerId from, boolean publishAgain) {
        List<Consumer<IpnsRecord>> notify;
        String topic;
        synchronized (this) {
            Entry e = names.get(name);
            if (e == null || (e.record != null && !IpnsRecords.isBetter(r, e.record))) {
                return;
            }
            e.record = r;
            notify = List.copyOf(e.listeners);
            topic = e.topic;
        }
        log.debug("newer IPNS record for {} (sequence {}) from {}", name, r.sequence(), from);
        for (Consumer<IpnsRecord> l : notify) {
            try {
                l.accept(r);
            } catch (RuntimeException ex) {
                log.warn("IPNS record listener of {} failed: {}", name, ex.toString());
            }
        }
        if (publishAgain) {
            gossipsub.publish(topic, r.raw());
        }
    }

    private void peerJoined(PeerId peer, String topic, Connection connection) {
        IpnsName name;
        synchronized (this) {
            name = topics.get(topic);
        }
        if (name != null && connection != null && !closed) {
            fetchFrom(name, connection, settings.fetchTimeout(), true);
        }
    }

    /** Fetches {@code name}'s record from {@code c}'s peer (if a fetch slot is free). */
    private CompletableFuture<Void> fetchFrom(IpnsName name, Connection c, Duration timeout, boolean publishAgain) {
        if (!fetches.tryAcquire()) {
            log.debug("{}: not fetching {} from {}: {} fetches running", c.id(), name, c.remotePeer(),
                    settings.maxConcurrentFetches());
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Optional<byte[]>> f;
        try {
            f = Fetch.fetch(c, name.routingKey(), timeout, IpnsRecord.MAX_RECORD_BYTES + 64);
        } catch (RuntimeException e) {
            fetches.release();
            return CompletableFuture.completedFuture(null);
        }
        return f.handle((data, e) -> {
            fetches.release();
            if (e != null) {
                log.debug("{}: fetch of {} from {} failed: {}", c.id(), name, c.remotePeer(), e.toString());
                return null;
            }
            if (data.isEmpty()) {
                return null;
            }
            try {
                IpnsRecord r = IpnsValidator.validate(name, data.get(), clock.instant());
                offer(name, r, c.remotePeer(), publishAgain);
            } catch (IpnsRecordException ex) {
                log.info("{}: {} answered fetch of {} with an invalid record: {}", c.id(), c.remotePeer(), name,
                        ex.getMessage());
            }
            return null;
        });
    }

    private Optional<byte[]> lookup(byte[] routingKey) {
        IpnsName name;
        try {
            name = IpnsName.fromRoutingKey(routingKey);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        synchronized (this) {
            Entry e = names.get(name);
            if (e == null || e.record == null || e.record.isExpired(clock.instant())) {
                return Optional.empty();
            }
            return Optional.of(e.record.raw());
        }
    }

    private void republishOwn() {
        List<Map.Entry<String, IpnsRecord>> own = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Entry> it = names.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.own && e.record != null && !e.record.isExpired(clock.instant())) {
                    own.add(Map.entry(e.topic, e.record));
                }
            }
        }
        for (Map.Entry<String, IpnsRecord> e : own) {
            try {
                gossipsub.publish(e.getKey(), e.getValue().raw());
            } catch (RuntimeException ex) {
                log.debug("republish on {} failed: {}", e.getKey(), ex.toString());
            }
        }
    }

    /** Publishes every own record now (what the periodic republish does). */
    public void republishNow() {
        republishOwn();
    }
}
