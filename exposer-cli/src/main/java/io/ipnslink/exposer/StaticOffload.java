package io.ipnslink.exposer;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.unixfs.ImportOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The static directories and live streams of a running {@link Exposer} ({@code expose --static},
 * {@code --stream}, and the streams {@code ipns-link stream} processes register): each static
 * directory is a {@link WatchedDirectory} whose root goes in the site's manifest ({@code s}) and is
 * republished at once when it changes; each stream a {@link LiveStream} whose name goes in the
 * manifest ({@code t}); registrations ({@link StreamRegistry}) are looked at every
 * {@link #REGISTRATION_CHECK} and added to or removed from the manifest. All imports go into one
 * block store, the one the exposer's bitswap serves.
 *
 * <p>Order of use: {@link #addStatic} and {@link #addStream} before {@link Exposer#start()} (the
 * first manifests have the entries), {@link #startStreams} and {@link #watchRegistrations} after it
 * (the stream records go out through the exposer's publisher, with its pubsub/DHT node).
 */
public final class StaticOffload implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StaticOffload.class);
    /** How often the stream registrations of other processes are looked at. */
    public static final Duration REGISTRATION_CHECK = Duration.ofMillis(500);

    private record PendingStream(IpnsName site, String prefix, Path dir, PrivKey key) {}

    private final Exposer exposer;
    private final BlockStore blocks;
    private final ImportOptions options;
    private final Duration poll;
    private final Duration streamPoll;
    private final List<WatchedDirectory> statics = new CopyOnWriteArrayList<>();
    private final List<PendingStream> pending = new ArrayList<>();
    private final List<LiveStream> streams = new CopyOnWriteArrayList<>();
    private final Map<IpnsName, Map<String, IpnsName>> registered = new HashMap<>();
    private final Set<String> refusedWarned = new HashSet<>();
    private ScheduledExecutorService registrations;

    /**
     * @param poll look interval of the static directories
     * @param streamPoll look interval of the stream directories (at most 250 ms for a change to be
     *     out within a second)
     */
    public StaticOffload(Exposer exposer, BlockStore blocks, ImportOptions options, Duration poll, Duration streamPoll) {
        this.exposer = Objects.requireNonNull(exposer, "exposer");
        this.blocks = Objects.requireNonNull(blocks, "blocks");
        this.options = Objects.requireNonNull(options, "options");
        this.poll = Objects.requireNonNull(poll, "poll");
        this.streamPoll = Objects.requireNonNull(streamPoll, "streamPoll");
    }

    /**
     * Imports {@code dir}, puts {@code prefix -> root} in the site's manifest and keeps it there as
     * the directory changes.
     *
     * @throws io.ipnslink.core.unixfs.UnixFsImportException when the directory cannot be imported
     * @throws ExposerException for a bad or taken prefix, too many entries
     */
    public WatchedDirectory addStatic(IpnsName site, String prefix, Path dir) throws IOException {
        PathPrefixes.check(prefix);
        WatchedDirectory w = WatchedDirectory.start(dir, blocks, options, poll,
                root -> exposer.setStatic(site, prefix, root));
        try {
            exposer.setStatic(site, prefix, w.root());
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        statics.add(w);
        return w;
    }

    /**
     * Puts {@code prefix -> the name of key} in the site's manifest; the stream itself (import,
     * records) starts with {@link #startStreams}.
     */
    public IpnsName addStream(IpnsName site, String prefix, Path dir, PrivKey key) {
        PathPrefixes.check(prefix);
        IpnsName name = IpnsName.of(key.peerId());
        exposer.setStream(site, prefix, name);
        pending.add(new PendingStream(site, prefix, dir, key));
        return name;
    }

    /** Starts the streams {@link #addStream} named, each publishing its first record (blocking). */
    public List<LiveStream> startStreams(LiveStream.Target target) throws IOException {
        List<LiveStream> started = new ArrayList<>();
        for (PendingStream p : pending) {
            LiveStream s = LiveStream.start(p.prefix(), p.key(), p.dir(), blocks, options, streamPoll, target, null);
            streams.add(s);
            started.add(s);
        }
        pending.clear();
        return started;
    }

    /** The static directories watched. */
    public List<WatchedDirectory> staticDirectories() {
        return List.copyOf(statics);
    }

    /** The streams running. */
    public List<LiveStream> streams() {
        return List.copyOf(streams);
    }

    /** Looks at {@code registry} now and then every {@code every}, for the exposer's sites. */
    public synchronized void watchRegistrations(StreamRegistry registry, Duration every) {
        if (registrations != null) {
            throw new IllegalStateException("already watching");
        }
        registrations = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stream-registrations");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, every.toMillis());
        registrations.scheduleWithFixedDelay(() -> checkRegistrations(registry), 0, ms, TimeUnit.MILLISECONDS);
    }

    /** One look at the registrations (the watcher's thread). */
    private void checkRegistrations(StreamRegistry registry) {
        try {
            Map<IpnsName, Map<String, IpnsName>> wanted = new HashMap<>();
            Set<IpnsName> sites = new HashSet<>(exposer.siteNames().values());
            for (StreamRegistry.Registration r : registry.live()) {
                IpnsName site = IpnsName.parse(r.siteName());
                if (sites.contains(site)) {
                    wanted.computeIfAbsent(site, k -> new HashMap<>()).put(r.prefix(), IpnsName.parse(r.name()));
                }
            }
            for (IpnsName site : sites) {
                Map<String, IpnsName> want = wanted.getOrDefault(site, Map.of());
                Map<String, IpnsName> have = registered.computeIfAbsent(site, k -> new HashMap<>());
                for (String prefix : List.copyOf(have.keySet())) {
                    if (!want.containsKey(prefix)) {
                        exposer.unregisterStream(site, prefix);
                        have.remove(prefix);
                        refusedWarned.remove(site + prefix);
                    }
                }
                for (Map.Entry<String, IpnsName> e : want.entrySet()) {
                    if (e.getValue().equals(have.get(e.getKey()))) {
                        continue;
                    }
                    if (exposer.registerStream(site, e.getKey(), e.getValue())) {
                        have.put(e.getKey(), e.getValue());
                    } else if (refusedWarned.add(site + e.getKey())) {
                        LOG.warn("site {}: the stream registered for {} is left out: this expose serves that prefix"
                                + " itself, or the site has the most stream entries a manifest holds", site, e.getKey());
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("stream registrations: {}", e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (registrations != null) {
            registrations.shutdownNow();
        }
        streams.forEach(LiveStream::close);
        statics.forEach(WatchedDirectory::close);
    }
}
