package io.ipnslink.exposer;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.ImportOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live stream: a directory an encoder writes into (HLS playlist and segments), kept imported
 * ({@link WatchedDirectory}) into a block store, its root published as a plain IPNS record under a
 * key of its own: value {@code /ipfs/{root}}, TTL {@value #TTL_SECONDS} s, the lifetime of the
 * {@link Publisher}'s settings, sequence from the {@link SequenceStore}. A new root is published at
 * once on the stream's own thread (the watcher goes on looking meanwhile; roots that come while a
 * publish runs are coalesced to the latest); the record is republished every
 * {@link Publisher.Settings#republishInterval()}, and a failed publish is retried after
 * {@link #FIRST_RETRY} (doubling, at most {@link #MAX_RETRY}).
 *
 * <p>A site's manifest points at the stream with a {@code t} entry (prefix -> {@link #name()});
 * gateways resolve that name (TTL 1 s) and serve {@code /ipfs/{root}{rest}}. Used by
 * {@code ipns-link expose --stream} and {@code ipns-link stream}.
 */
public final class LiveStream implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveStream.class);
    /** TTL of a stream's record, in seconds. */
    public static final int TTL_SECONDS = 1;
    /** TTL of a stream's record. */
    public static final Duration TTL = Duration.ofSeconds(TTL_SECONDS);
    /** Default look interval of the stream directory (a change is published within about two looks). */
    public static final Duration DEFAULT_POLL = Duration.ofMillis(200);
    /** First wait before retrying a failed publish. */
    public static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    /** Longest wait before retrying a failed publish. */
    public static final Duration MAX_RETRY = Duration.ofMinutes(1);

    /**
     * Where the stream's records go.
     *
     * @param publisher signs (its lifetime) and publishes (its routers' retries, its pubsub/DHT node)
     * @param routers routing v1 endpoints (may be empty when the publisher has a pubsub/DHT node)
     */
    public record Target(Publisher publisher, List<URI> routers) {
        public Target {
            Objects.requireNonNull(publisher, "publisher");
            routers = List.copyOf(routers);
        }
    }

    private final String prefix;
    private final PrivKey key;
    private final IpnsName name;
    private final Target target;
    private final Consumer<Publisher.Result> onPublish;
    private final ScheduledExecutorService thread;
    private final AtomicBoolean queued = new AtomicBoolean();
    private final AtomicLong publishes = new AtomicLong();
    private volatile WatchedDirectory watcher;
    private volatile Cid published;
    private volatile Publisher.Result last;
    private volatile String lastError;
    private volatile boolean closed;
    private boolean readRouters = true;
    private Duration retry = FIRST_RETRY;
    private ScheduledFuture<?> next;

    private LiveStream(String prefix, PrivKey key, Target target, Consumer<Publisher.Result> onPublish) {
        this.prefix = prefix;
        this.key = key;
        this.name = IpnsName.of(key.peerId());
        this.target = target;
        this.onPublish = onPublish;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stream-" + name.toString().substring(name.toString().length() - 6));
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Imports {@code dir} into {@code blocks}, publishes its root under {@code key} (blocking until
     * the routers answered, like {@link Publisher#publish}; when none took it, {@link #lastError()}
     * says why and it is retried in the background), then watches the directory every {@code poll}
     * and publishes each new root.
     *
     * @param prefix the site path prefix the stream is served under (checked; for logs and status)
     * @param onPublish sees every publish's result (the stream's thread; keep it short)
     * @throws io.ipnslink.core.unixfs.UnixFsImportException when {@code dir} cannot be imported
     */
    public static LiveStream start(String prefix, PrivKey key, Path dir, BlockStore blocks, ImportOptions options,
            Duration poll, Target target, Consumer<Publisher.Result> onPublish) throws IOException {
        PathPrefixes.check(prefix);
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(target, "target");
        LiveStream s = new LiveStream(prefix, key, target, onPublish == null ? r -> { } : onPublish);
        try {
            s.watcher = WatchedDirectory.start(dir, blocks, options, poll, s::changed);
            s.thread.submit(() -> s.publish(s.watcher.root())).get();
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.close();
            throw new ExposerException("interrupted while publishing the stream " + s.name);
        } catch (java.util.concurrent.ExecutionException e) {
            s.close();
            throw new ExposerException("cannot publish the stream " + s.name + ": " + e.getCause().getMessage(), e);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The stream's IPNS name (what the site's {@code t} entry holds). */
    public IpnsName name() {
        return name;
    }

    public String prefix() {
        return prefix;
    }

    /** The directory's current root (the last good import). */
    public Cid root() {
        WatchedDirectory w = watcher;
        return w == null ? null : w.root();
    }

    /** The root of the last record published, or null. */
    public Cid publishedRoot() {
        return published;
    }

    /** The last publish's result, or null. */
    public Publisher.Result lastResult() {
        return last;
    }

    /** The last publish's error, or null when it went out. */
    public String lastError() {
        return lastError;
    }

    /** Records published so far (some router or peer took them). */
    public long publishCount() {
        return publishes.get();
    }

    private void changed(Cid root) {
        if (closed || !queued.compareAndSet(false, true)) {
            return;
        }
        try {
            thread.execute(() -> {
                queued.set(false);
                Cid now = root();
                if (now != null && !now.equals(published)) {
                    publish(now);
                }
            });
        } catch (RejectedExecutionException e) {
            queued.set(false); // closing
        }
    }

    /** On the stream's thread: publishes {@code root}, schedules the next republish or retry. */
    private Publisher.Result publish(Cid root) {
        if (closed) {
            return null;
        }
        if (next != null) {
            next.cancel(false);
        }
        Duration delay;
        Publisher.Result r = null;
        try {
            r = target.publisher().publishPath(key, "/ipfs/" + root, TTL, target.routers(), readRouters);
            readRouters = false;
        } catch (RuntimeException e) {
            lastError = e.getMessage();
            LOG.warn("stream {} ({}): publishing {} failed: {}", prefix, name, root, e.getMessage());
        }
        if (r != null && r.anyOk()) {
            last = r;
            lastError = null;
            published = root;
            publishes.incrementAndGet();
            retry = FIRST_RETRY;
            delay = r.allOk() ? target.publisher().settings().republishInterval() : nextRetry();
            LOG.info("stream {} ({}): published /ipfs/{} sequence {}", prefix, name, root,
                    Long.toUnsignedString(r.sequence()));
        } else {
            if (r != null) {
                last = r;
                lastError = r.routers().isEmpty() ? "no pubsub or DHT peer took the record"
                        : r.routers().get(0).message();
                LOG.warn("stream {} ({}): no router took /ipfs/{}: {}", prefix, name, root, lastError);
            }
            delay = nextRetry();
        }
        if (r != null) {
            try {
                onPublish.accept(r);
            } catch (RuntimeException e) {
                LOG.debug("stream {}: publish listener failed: {}", prefix, e.toString());
            }
        }
        if (!closed) {
            try {
                next = thread.schedule(() -> {
                    Cid now = root();
                    if (now != null) {
                        publish(now);
                    }
                }, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // closing
            }
        }
        return r != null && r.anyOk() ? r : null;
    }

    private Duration nextRetry() {
        Duration d = retry;
        Duration doubled = retry.multipliedBy(2);
        retry = doubled.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : doubled;
        return d;
    }

    /** Stops watching and publishing (the last record stays at the routers until it expires). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        WatchedDirectory w = watcher;
        if (w != null) {
            w.close();
        }
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
