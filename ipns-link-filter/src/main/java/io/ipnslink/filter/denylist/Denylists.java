package io.ipnslink.filter.denylist;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.SiteGate;
import io.ipnslink.filter.pipeline.SiteRequest;
import java.io.IOException;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured denylists ({@code denylist} key), checked before a site's name is resolved: a
 * {@link SiteGate} answering 451 with a page naming the list. The lists are read at start and
 * re-read in the background every {@code denylist-refresh}; a changed list is parsed aside and the
 * whole set swapped at once (requests see the old set or the new one, never a mix); a list that
 * cannot be read or parsed keeps its last good version (logged).
 *
 * <p>Lists are checked from the last configured to the first: the first list with a matching rule
 * decides (a later list overrides an earlier one, so a local list of {@code !} exceptions after a
 * shared list unblocks what the shared list blocks); within a list, its last matching rule decides.
 *
 * <p>At start a file that cannot be read or used fails the gateway's start (a
 * {@link ConfigException} naming the key): the operator's own file is a configuration error to fix
 * now. A URL that cannot be fetched is logged and retried at each refresh while the gateway serves
 * (fail open): a list server being down must not take every site of the gateway down with it.
 */
public final class Denylists implements SiteGate, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Denylists.class);

    /** Servlet context attribute holding the gateway's {@code Denylists} (when the key is set). */
    public static final String ATTRIBUTE = Denylists.class.getName();

    private final List<ListSource> sources;
    /** The last good list of each source (null until it loaded once), in configured order. */
    private final Denylist[] loaded;
    /** What requests check: the loaded lists, last configured first; replaced as a whole. */
    private volatile List<Denylist> current = List.of();
    private final AtomicLong generation = new AtomicLong();
    private final List<Consumer<Denylists>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler;

    private Denylists(List<ListSource> sources, ScheduledExecutorService scheduler) {
        this.sources = sources;
        this.loaded = new Denylist[sources.size()];
        this.scheduler = scheduler;
    }

    /**
     * Reads every list and, when {@code background}, re-reads them every {@code refresh}.
     *
     * @throws ConfigException when a file cannot be read or used
     */
    public static Denylists start(DenylistSettings settings, boolean background) {
        DenylistParser parser = new DenylistParser(new DenylistParser.Limits(settings.maxSize(), settings.maxRules()));
        HttpClient http = settings.lists().stream().anyMatch(DenylistSettings::isUrl)
                ? HttpClient.newBuilder().connectTimeout(settings.fetchTimeout())
                        .followRedirects(HttpClient.Redirect.NORMAL).build()
                : null;
        List<ListSource> sources = new ArrayList<>();
        for (String location : settings.lists()) {
            sources.add(ListSource.of(location, parser, http, settings.fetchTimeout()));
        }
        ScheduledExecutorService scheduler = background ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ipns-link-denylist");
            t.setDaemon(true);
            return t;
        }) : null;
        Denylists d = new Denylists(sources, scheduler);
        for (int i = 0; i < sources.size(); i++) {
            ListSource s = sources.get(i);
            try {
                d.loaded[i] = s.loadIfChanged();
                Denylist l = d.loaded[i];
                LOG.info("denylist {} loaded from {}: {}", l.displayName(), s.label, l.counts());
            } catch (IOException | DenylistException e) {
                if (s instanceof ListSource.File) {
                    d.close();
                    throw new ConfigException(ConfigKey.DENYLIST, "configuration key '" + ConfigKey.DENYLIST.key()
                            + "': cannot use the denylist " + s.label + ": " + e.getMessage(), e);
                }
                LOG.warn("denylist {} not loaded (retried every {}; sites are served meanwhile): {}", s.label,
                        settings.refresh(), e.getMessage());
            }
        }
        d.publish();
        if (scheduler != null) {
            long every = settings.refresh().toMillis();
            scheduler.scheduleWithFixedDelay(d::refreshQuietly, every, every, TimeUnit.MILLISECONDS);
        }
        return d;
    }

    /**
     * Re-reads every list now (the background refresh calls it; tests too): a changed list replaces
     * its last good version and the set is swapped; a failing one keeps its last good version.
     *
     * @return whether the set changed
     */
    public synchronized boolean refresh() {
        boolean changed = false;
        for (int i = 0; i < sources.size(); i++) {
            ListSource s = sources.get(i);
            try {
                Denylist l = s.loadIfChanged();
                if (l != null) {
                    loaded[i] = l;
                    changed = true;
                    LOG.info("denylist {} reloaded from {}: {}", l.displayName(), s.label, l.counts());
                }
            } catch (IOException | DenylistException e) {
                LOG.warn("denylist {} not reloaded, {}: {}", s.label,
                        loaded[i] == null ? "not applied yet" : "its last good version applies", e.getMessage());
            }
        }
        if (changed) {
            publish();
        }
        return changed;
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            LOG.warn("denylist refresh failed: {}", e.toString());
        }
    }

    private void publish() {
        List<Denylist> now = new ArrayList<>();
        for (int i = loaded.length - 1; i >= 0; i--) {
            if (loaded[i] != null) {
                now.add(loaded[i]);
            }
        }
        current = List.copyOf(now);
        generation.incrementAndGet();
        for (Consumer<Denylists> l : listeners) {
            try {
                l.accept(this);
            } catch (RuntimeException e) {
                LOG.warn("denylist reload listener failed: {}", e.toString());
            }
        }
    }

    /** Called after every swap of the set (on the refreshing thread). */
    public void onReload(Consumer<Denylists> listener) {
        listeners.add(listener);
    }

    /** How many times the set was swapped (1 after start). */
    public long generation() {
        return generation.get();
    }

    /** The lists in force, in configured order (those loaded at least once). */
    public List<Denylist> lists() {
        List<Denylist> l = new ArrayList<>(current);
        java.util.Collections.reverse(l);
        return List.copyOf(l);
    }

    /**
     * The verdict on an IPNS site request: its key, its DNSLink name (if any), its path.
     *
     * @param domain the DNS name the site was reached by, or null
     * @param path the request's path from {@code /} (%-encoded; a query is ignored)
     */
    public Verdict checkSite(IpnsName name, String domain, String path) {
        List<Denylist> lists = current;
        if (lists.isEmpty()) {
            return Verdict.NONE;
        }
        Probe probe = Probe.site(name, domain, path);
        for (Denylist l : lists) {
            Verdict v = l.check(probe, null);
            if (v.status() != Verdict.Status.NONE) {
                return v;
            }
        }
        return Verdict.NONE;
    }

    /**
     * The verdict on an {@code /ipfs/CID/PATH} request, from the lists' {@code /ipfs/} rules and
     * double hashes: for an IPFS gateway part (this gateway serves {@code /ipns/} sites only, so
     * it does not call it itself). A rule naming a CID alone covers its paths too.
     */
    public Verdict checkIpfs(Cid cid, String path) {
        List<Denylist> lists = current;
        if (lists.isEmpty()) {
            return Verdict.NONE;
        }
        Probe probe = Probe.ipfs(cid, path);
        for (Denylist l : lists) {
            Verdict v = l.check(probe, Denylist.Kind.IPFS);
            if (v.status() != Verdict.Status.NONE) {
                return v;
            }
        }
        return Verdict.NONE;
    }

    /** The gate: 451 with a page naming the list when the site request is blocked. */
    @Override
    public RefusedException check(SiteRequest request, RequestMeter meter) {
        Verdict v = checkSite(request.name(), request.domain(), request.path());
        if (!v.blocked()) {
            return null;
        }
        LOG.debug("[{}] {} blocked by denylist {} line {}", request.requestId(), request.name(), v.list().source(),
                v.line());
        return refusal(request.name(), v);
    }

    /** The 451 answer for a blocked verdict. */
    static RefusedException refusal(IpnsName name, Verdict v) {
        return new RefusedException(RefusedException.Kind.DENIED, name,
                "This content is blocked on this gateway by the denylist \"" + printable(v.list().displayName())
                        + "\".", null);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().filter(c -> !Character.isISOControl(c)).forEach(b::appendCodePoint);
        return b.length() > 200 ? b.substring(0, 200) : b.toString();
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "denylists " + current;
    }
}
