package io.ipnslink.p2p.protocol.autonat;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.autonat.Reachability.Answer;
import io.ipnslink.p2p.protocol.autonat.Reachability.State;
import io.ipnslink.p2p.protocol.autonat.pb.AutonatProtos.Message;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of AutoNAT v1: asks servers (connected peers whose identify lists
 * {@link Autonat#PROTOCOL_ID}, over direct connections, and servers added with
 * {@link #addServer}) to dial this host's addresses back, and combines their answers into a
 * {@link Reachability}.
 *
 * <p>An {@code OK} answer is proof: the state becomes PUBLIC at once, and the address dialed is
 * confirmed. An {@code E_DIAL_ERROR} turns UNKNOWN into PRIVATE at once, but PUBLIC into PRIVATE
 * only after as many failures in a row as the confidence was (so one server that cannot reach us
 * does not undo what several others saw). Refusals, bad requests, internal errors and timeouts say
 * nothing about us and change nothing. The confidence counts agreeing answers, up to
 * {@link Settings#maxConfidence()}.
 *
 * <p>Checks run in rounds (at most {@link Settings#serversPerRound()} servers each): soon after a
 * new server connects while the state is not settled, every {@link Settings#retryInterval()}
 * until the confidence is full, then every {@link Settings#refreshInterval()}, and soon after
 * {@link #addressesChanged()} (or a change seen at a round). Every request has
 * {@link Settings#requestTimeout()}.
 */
public final class AutonatClient {
    private static final Logger log = LoggerFactory.getLogger(AutonatClient.class);
    /** Servers added with {@link #addServer} kept at most. */
    public static final int MAX_SERVERS = 16;
    /** Servers whose last request time is kept at most. */
    static final int MAX_TRACKED_SERVERS = 1024;

    /**
     * @param requestTimeout one request, from opening the stream to the answer (the server dials back
     *     meanwhile: longer than its dial timeout)
     * @param retryInterval between rounds while the confidence is not full
     * @param refreshInterval between rounds once it is
     * @param firstCheckDelay from a new server (or an address change) to the round it triggers
     * @param serversPerRound servers asked in one round
     * @param maxConfidence agreeing answers that make the state settled
     * @param addresses the addresses to have checked; null: the host's listen addresses
     */
    public record Settings(Duration requestTimeout, Duration retryInterval, Duration refreshInterval,
            Duration firstCheckDelay, int serversPerRound, int maxConfidence, Supplier<List<Multiaddr>> addresses) {
        public Settings {
            positive(requestTimeout, "requestTimeout");
            positive(retryInterval, "retryInterval");
            positive(refreshInterval, "refreshInterval");
            Objects.requireNonNull(firstCheckDelay, "firstCheckDelay");
            if (firstCheckDelay.isNegative()) {
                throw new IllegalArgumentException("firstCheckDelay must not be negative");
            }
            if (serversPerRound < 1 || serversPerRound > MAX_SERVERS) {
                throw new IllegalArgumentException("serversPerRound must be 1.." + MAX_SERVERS + ": " + serversPerRound);
            }
            if (maxConfidence < 1 || maxConfidence > 100) {
                throw new IllegalArgumentException("maxConfidence must be 1..100: " + maxConfidence);
            }
        }

        /** 30 s per request, rounds every 60 s then every 15 min, 2 s after a new server, 3 servers, confidence 3. */
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMinutes(15),
                    Duration.ofSeconds(2), 3, 3, null);
        }

        public Settings withAddresses(Supplier<List<Multiaddr>> v) {
            return new Settings(requestTimeout, retryInterval, refreshInterval, firstCheckDelay, serversPerRound,
                    maxConfidence, v);
        }

        public Settings withIntervals(Duration retry, Duration refresh) {
            return new Settings(requestTimeout, retry, refresh, firstCheckDelay, serversPerRound, maxConfidence,
                    addresses);
        }

        public Settings withFirstCheckDelay(Duration v) {
            return new Settings(requestTimeout, retryInterval, refreshInterval, v, serversPerRound, maxConfidence,
                    addresses);
        }

        public Settings withRequestTimeout(Duration v) {
            return new Settings(v, retryInterval, refreshInterval, firstCheckDelay, serversPerRound, maxConfidence,
                    addresses);
        }

        private static void positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive: " + d);
            }
        }
    }

    private final Host host;
    private final Settings settings;
    private final Supplier<List<Multiaddr>> addresses;
    private final List<Consumer<Reachability>> listeners = new CopyOnWriteArrayList<>();
    /** Guarded by {@code this}. */
    private final Map<PeerId, List<Multiaddr>> servers = new LinkedHashMap<>();
    private final Map<PeerId, Long> lastAsked = new HashMap<>();
    private final ArrayDeque<Answer> answers = new ArrayDeque<>();
    private final Set<Multiaddr> confirmed = new LinkedHashSet<>();
    private State state = State.UNKNOWN;
    private int confidence;
    private List<Multiaddr> lastAddresses;
    private Reachability current = Reachability.unknown();
    private EventExecutor timer;
    private ScheduledFuture<?> next;
    private long nextAtNanos;
    private CompletableFuture<Reachability> round;
    private boolean roundAgain;
    private boolean closed;

    /** @param hostAddresses the host's own addresses, used when the settings name none */
    public AutonatClient(Host host, Settings settings, Supplier<List<Multiaddr>> hostAddresses) {
        this.host = Objects.requireNonNull(host, "host");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.addresses = settings.addresses() != null ? settings.addresses() : hostAddresses;
    }

    /** Starts the rounds on {@code timer} (the host calls this when it starts). */
    public synchronized void start(EventExecutor timer) {
        this.timer = timer;
        scheduleIn(settings.firstCheckDelay());
    }

    /** Stops the rounds; idempotent. */
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(false);
        }
    }

    public synchronized Reachability reachability() {
        return current;
    }

    /** Called with the new reachability whenever the state, confidence or confirmed addresses change. */
    public void addListener(Consumer<Reachability> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(Consumer<Reachability> listener) {
        listeners.remove(listener);
    }

    /** Adds a server to ask besides the connected ones (at most {@link #MAX_SERVERS}); a round follows soon. */
    public void addServer(PeerId server, List<Multiaddr> at) {
        synchronized (this) {
            if (!servers.containsKey(server) && servers.size() >= MAX_SERVERS) {
                throw new IllegalStateException("at most " + MAX_SERVERS + " AutoNAT servers");
            }
            servers.put(server, List.copyOf(at));
        }
        soon();
    }

    /** The addresses to check changed: forget confirmations of others and check again soon. */
    public void addressesChanged() {
        soon();
    }

    /** Called by the host once a connection's identify is in: a new server may trigger a round. */
    public void onIdentified(Connection c) {
        if (isServer(c)) {
            synchronized (this) {
                if (confidence >= settings.maxConfidence() && state != State.UNKNOWN) {
                    return;
                }
            }
            soon();
        }
    }

    /**
     * A round now, asking every server known (connected or added; at most {@link #MAX_SERVERS}, even
     * those asked lately); completes with the reachability after it.
     */
    public CompletableFuture<Reachability> check() {
        return startRound(true);
    }

    /**
     * Asks one server now and records its answer. The result is the answer (never fails: a server
     * that does not answer gives {@code NO_ANSWER}).
     */
    public CompletableFuture<Answer> ask(PeerId server, List<Multiaddr> serverAddresses) {
        List<Multiaddr> mine = addressesNow();
        return askAndRecord(server, serverAddresses, mine);
    }

    private boolean isServer(Connection c) {
        return c.isOpen() && !c.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT)
                && c.identifyInfo().map(i -> i.supports(Autonat.PROTOCOL_ID)).orElse(false);
    }

    private void soon() {
        synchronized (this) {
            if (timer == null || closed) {
                return;
            }
        }
        scheduleIn(settings.firstCheckDelay());
    }

    /** (Re)schedules the next round in {@code delay}, unless one is due earlier. */
    private synchronized void scheduleIn(Duration delay) {
        if (closed || timer == null) {
            return;
        }
        long at = System.nanoTime() + delay.toNanos();
        if (next != null && !next.isDone()) {
            if (nextAtNanos - at <= 0) {
                return;
            }
            next.cancel(false);
        }
        nextAtNanos = at;
        next = timer.schedule(() -> {
            startRound(false);
        }, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private List<Multiaddr> addressesNow() {
        List<Multiaddr> l;
        try {
            l = addresses.get();
        } catch (RuntimeException e) {
            log.debug("autonat: cannot list the addresses to check: {}", e.toString());
            l = List.of();
        }
        List<Multiaddr> out = new ArrayList<>();
        for (Multiaddr a : l == null ? List.<Multiaddr>of() : l) {
            Multiaddr bare = a.has(Multiaddr.Protocol.P2P) && !a.has(Multiaddr.Protocol.P2P_CIRCUIT)
                    ? a.decapsulate(Multiaddr.Protocol.P2P) : a;
            if (!bare.has(Multiaddr.Protocol.P2P_CIRCUIT) && !out.contains(bare)
                    && out.size() < Autonat.MAX_REQUEST_ADDRESSES) {
                out.add(bare);
            }
        }
        return out;
    }

    private CompletableFuture<Reachability> startRound(boolean everyone) {
        CompletableFuture<Reachability> r;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.completedFuture(current);
            }
            if (round != null && !round.isDone()) {
                roundAgain = true;
                return round;
            }
            r = new CompletableFuture<>();
            round = r;
        }
        try {
            runRound(everyone, r);
        } catch (RuntimeException e) {
            log.warn("autonat round failed: {}", e.toString());
            finishRound(r);
        }
        return r;
    }

    private void runRound(boolean everyone, CompletableFuture<Reachability> r) {
        List<Multiaddr> mine = addressesNow();
        Map<PeerId, List<Multiaddr>> candidates = new LinkedHashMap<>();
        for (Connection c : host.connections()) {
            if (isServer(c) && !c.remotePeer().equals(host.peerId())) {
                candidates.putIfAbsent(c.remotePeer(), List.of());
            }
        }
        long now = System.nanoTime();
        List<PeerId> chosen;
        synchronized (this) {
            noteAddresses(mine);
            for (Map.Entry<PeerId, List<Multiaddr>> e : servers.entrySet()) {
                candidates.putIfAbsent(e.getKey(), e.getValue());
            }
            if (lastAsked.size() > MAX_TRACKED_SERVERS) {
                lastAsked.clear();
            }
            List<PeerId> ids = new ArrayList<>(candidates.keySet());
            Collections.shuffle(ids);
            chosen = new ArrayList<>();
            long spacing = settings.retryInterval().toNanos() / 2;
            for (PeerId p : ids) {
                Long last = lastAsked.get(p);
                if (!everyone && last != null && now - last < spacing) {
                    continue;
                }
                if (chosen.size() >= (everyone ? MAX_SERVERS : settings.serversPerRound())) {
                    break;
                }
                chosen.add(p);
                lastAsked.put(p, now);
            }
        }
        publish(); // the addresses may have changed
        if (mine.isEmpty() || chosen.isEmpty()) {
            log.debug("autonat: no round ({} addresses, {} servers)", mine.size(), chosen.size());
            finishRound(r);
            return;
        }
        log.debug("autonat: asking {} about {}", chosen, mine);
        List<CompletableFuture<Answer>> asks = new ArrayList<>();
        for (PeerId p : chosen) {
            asks.add(askAndRecord(p, candidates.get(p), mine));
        }
        CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> finishRound(r));
    }

    private void finishRound(CompletableFuture<Reachability> r) {
        boolean again;
        Reachability now;
        synchronized (this) {
            again = roundAgain;
            roundAgain = false;
            now = current;
            boolean settled = state != State.UNKNOWN && confidence >= settings.maxConfidence();
            scheduleIn(again ? settings.firstCheckDelay() : settled ? settings.refreshInterval()
                    : settings.retryInterval());
        }
        r.complete(now);
    }

    /** When the addresses differ from the last round's: drop confirmations of addresses gone. */
    private void noteAddresses(List<Multiaddr> mine) {
        if (mine.equals(lastAddresses)) {
            return;
        }
        boolean first = lastAddresses == null;
        lastAddresses = List.copyOf(mine);
        if (first) {
            return;
        }
        confirmed.retainAll(mine);
        if (state == State.PUBLIC && confirmed.isEmpty()) {
            state = State.UNKNOWN;
            confidence = 0;
        } else if (state == State.PRIVATE) {
            confidence = 0; // new addresses: what failed before says little about them
        }
    }

    private CompletableFuture<Answer> askAndRecord(PeerId server, List<Multiaddr> serverAddresses,
            List<Multiaddr> mine) {
        AtomicReference<List<Multiaddr>> asked = new AtomicReference<>(mine);
        return askOnce(server, serverAddresses == null ? List.of() : serverAddresses, mine, asked)
                .thenApply(a -> {
                    record(a, asked.get());
                    return a;
                });
    }

    /**
     * The addresses asked about on {@code c}: ours, and when the server sees us at an IP address none
     * of ours has (a NAT between us: it would refuse all of ours as "other IP"), also the address it
     * observed (identify) and that IP with each of our ports (where a port-preserving NAT maps a
     * listen port), as the spec has a client offer its observed addresses; at most
     * {@link Autonat#MAX_REQUEST_ADDRESSES}.
     */
    static List<Multiaddr> withObserved(List<Multiaddr> mine, Connection c) {
        java.util.Optional<Multiaddr> observed = c.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT)
                ? java.util.Optional.empty() : c.identifyInfo().flatMap(i -> i.observedAddr());
        java.util.Optional<java.net.InetSocketAddress> o = observed.flatMap(Multiaddr::toTcpSocketAddress);
        if (o.isEmpty() || o.get().isUnresolved() || o.get().getPort() == 0
                || observed.get().has(Multiaddr.Protocol.P2P_CIRCUIT)) {
            return mine;
        }
        java.util.LinkedHashSet<Multiaddr> out = new java.util.LinkedHashSet<>();
        for (Multiaddr a : mine) {
            java.util.Optional<java.net.InetSocketAddress> m = a.toTcpSocketAddress();
            if (m.isPresent() && !m.get().isUnresolved() && m.get().getAddress().equals(o.get().getAddress())) {
                return mine; // the server sees an IP we claim: nothing to add
            }
            out.add(a);
        }
        out.add(Multiaddr.tcp(o.get()));
        for (Multiaddr a : mine) {
            java.util.Optional<java.net.InetSocketAddress> m = a.toTcpSocketAddress();
            if (m.isPresent() && m.get().getPort() != 0) {
                out.add(Multiaddr.tcp(new java.net.InetSocketAddress(o.get().getAddress(), m.get().getPort())));
            }
        }
        List<Multiaddr> l = new ArrayList<>(out);
        return l.size() > Autonat.MAX_REQUEST_ADDRESSES ? List.copyOf(l.subList(0, Autonat.MAX_REQUEST_ADDRESSES))
                : List.copyOf(l);
    }

    /** One request; never fails (NO_ANSWER instead). */
    private CompletableFuture<Answer> askOnce(PeerId server, List<Multiaddr> serverAddresses, List<Multiaddr> mine,
            AtomicReference<List<Multiaddr>> asked) {
        CompletableFuture<Answer> out = new CompletableFuture<>();
        if (mine.isEmpty()) {
            out.complete(new Answer(server, "NO_ANSWER", "no address to check", null, Instant.now(), false));
            return out;
        }
        CompletableFuture<AutonatMessageReader> reader = new CompletableFuture<>();
        CompletableFuture<Stream> opened = host.newStream(server, serverAddresses, List.of(Autonat.PROTOCOL_ID), s -> {
            List<Multiaddr> addrs = withObserved(mine, s.connection());
            asked.set(addrs);
            Message.PeerInfo.Builder info = Message.PeerInfo.newBuilder()
                    .setId(ByteString.copyFrom(host.peerId().bytes()));
            for (Multiaddr a : addrs) {
                info.addAddrs(ByteString.copyFrom(a.bytes()));
            }
            Message dial = Message.newBuilder().setType(Message.MessageType.DIAL)
                    .setDial(Message.Dial.newBuilder().setPeer(info)).build();
            reader.complete(AutonatMessageReader.install(s.channel(), settings.requestTimeout()));
            s.channel().writeAndFlush(Autonat.encode(s.channel().alloc(), dial));
        });
        EventExecutor t;
        synchronized (this) {
            t = timer;
        }
        ScheduledFuture<?> guard = t == null ? null : t.schedule(() -> {
            out.complete(new Answer(server, "NO_ANSWER", "no answer within " + settings.requestTimeout().toMillis()
                    + " ms", null, Instant.now(), false));
        }, settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        opened.thenCompose(s -> reader.join().result().whenComplete((m, e) -> s.close()))
                .whenComplete((m, e) -> {
                    if (guard != null) {
                        guard.cancel(false);
                    }
                    if (e != null) {
                        Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                                ? e.getCause() : e;
                        out.complete(new Answer(server, "NO_ANSWER", Autonat.printable(c.getMessage()), null,
                                Instant.now(), false));
                        return;
                    }
                    Answer a = toAnswer(server, m);
                    Stream s = opened.join();
                    if (a.counted() && sameHost(s.connection().remoteAddress(), mine)) {
                        a = new Answer(a.server(), a.status(), Autonat.printable("not counted: the server is on"
                                + " an IP address checked (" + a.text() + ")"), a.address(), a.at(), false);
                    }
                    out.complete(a);
                });
        // a stream still open when the guard fired is reset, not left waiting
        out.thenAccept(a -> {
            if ("NO_ANSWER".equals(a.status())) {
                opened.thenAccept(s -> {
                    if (s.channel().isActive()) {
                        s.reset();
                    }
                });
            }
        });
        return out;
    }

    private static Answer toAnswer(PeerId server, Message m) {
        Instant now = Instant.now();
        if (!m.hasType() || m.getType() != Message.MessageType.DIAL_RESPONSE || !m.hasDialResponse()
                || !m.getDialResponse().hasStatus()) {
            return new Answer(server, "NO_ANSWER", "not a DIAL_RESPONSE with a status", null, now, false);
        }
        Message.DialResponse r = m.getDialResponse();
        Multiaddr addr = null;
        if (r.hasAddr()) {
            try {
                addr = Multiaddr.decode(r.getAddr().toByteArray());
            } catch (RuntimeException e) {
                addr = null;
            }
        }
        return new Answer(server, r.getStatus().name(), Autonat.printable(r.getStatusText()), addr, now, true);
    }

    /**
     * Whether a server connected from {@code serverAddress} shares an IP address with {@code mine}
     * (loopback aside: a deployment on one machine is what loopback addresses are for).
     */
    static boolean sameHost(Multiaddr serverAddress, List<Multiaddr> mine) {
        java.util.Optional<java.net.InetSocketAddress> s = serverAddress == null ? java.util.Optional.empty()
                : serverAddress.toTcpSocketAddress();
        if (s.isEmpty() || s.get().isUnresolved() || s.get().getAddress().isLoopbackAddress()) {
            return false;
        }
        for (Multiaddr a : mine) {
            java.util.Optional<java.net.InetSocketAddress> m = a.toTcpSocketAddress();
            if (m.isPresent() && !m.get().isUnresolved() && m.get().getAddress().equals(s.get().getAddress())) {
                return true;
            }
        }
        return false;
    }

    /** Folds one answer into the state (see the class comment). */
    private void record(Answer a, List<Multiaddr> mine) {
        synchronized (this) {
            answers.addLast(a);
            while (answers.size() > Reachability.MAX_ANSWERS) {
                answers.removeFirst();
            }
            int max = settings.maxConfidence();
            switch (a.counted() ? a.status() : "") {
                case "OK" -> {
                    Multiaddr dialed = a.address() == null ? null
                            : a.address().has(Multiaddr.Protocol.P2P) ? a.address().decapsulate(Multiaddr.Protocol.P2P)
                            : a.address();
                    if (dialed != null && !mine.contains(dialed)) {
                        log.debug("autonat: {} says OK for {}, which we did not ask about; ignored", a.server(), dialed);
                        break;
                    }
                    if (state != State.PUBLIC) {
                        log.info("autonat: reachable (server {} dialed back {})", a.server(), dialed);
                        state = State.PUBLIC;
                        confidence = 1;
                    } else {
                        confidence = Math.min(max, confidence + 1);
                    }
                    if (dialed != null && confirmed.size() < Autonat.MAX_REQUEST_ADDRESSES) {
                        confirmed.add(dialed);
                    }
                }
                case "E_DIAL_ERROR" -> {
                    if (state == State.PRIVATE) {
                        confidence = Math.min(max, confidence + 1);
                    } else if (state == State.PUBLIC && confidence > 1) {
                        confidence--;
                    } else {
                        log.info("autonat: not reachable (server {} could not dial back: {})", a.server(), a.text());
                        state = State.PRIVATE;
                        confidence = 1;
                        confirmed.clear();
                    }
                }
                default -> log.debug("autonat: {} from {}: {}", a.status(), a.server(), a.text());
            }
        }
        publish();
    }

    /** Recomputes the snapshot; tells the listeners when it changed (besides the answers list). */
    private void publish() {
        Reachability before;
        Reachability after;
        synchronized (this) {
            before = current;
            after = new Reachability(state, confidence, List.copyOf(confirmed), List.copyOf(answers));
            current = after;
        }
        if (before.state() != after.state() || before.confidence() != after.confidence()
                || !before.confirmed().equals(after.confirmed())) {
            for (Consumer<Reachability> l : listeners) {
                try {
                    l.accept(after);
                } catch (RuntimeException e) {
                    log.warn("autonat listener failed: {}", e.toString());
                }
            }
        }
    }
}
