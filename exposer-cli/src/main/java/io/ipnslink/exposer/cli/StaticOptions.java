package io.ipnslink.exposer.cli;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipfs.FsBlockStore;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.exposer.Exposer;
import io.ipnslink.exposer.ExposerException;
import io.ipnslink.exposer.Home;
import io.ipnslink.exposer.LiveStream;
import io.ipnslink.exposer.PathPrefixes;
import io.ipnslink.exposer.Publisher;
import io.ipnslink.exposer.StaticOffload;
import io.ipnslink.exposer.StreamRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --static PREFIX=DIR}, {@code --stream PREFIX=DIR}, {@code --watch-interval}: static offload
 * and livestreams of the command line's SITE (docs/exposer.md; config-file sites have
 * {@code "statics"} and {@code "streams"}). Each DIR is imported as UnixFS into {@code <home>/blocks},
 * served by the exposer's bitswap, and watched: the manifest ({@code s}) or the stream's record is
 * republished at once when it changes. A stream publishes under the key
 * {@code <SITE>-stream-<prefix words>} ({@link PathPrefixes#streamKeyName}), made on first use.
 */
final class StaticOptions {
    /** Look interval of static directories by default (a big tree is walked at each look). */
    static final Duration DEFAULT_STATIC_POLL = Duration.ofSeconds(1);
    /** Shortest and longest {@code --watch-interval}. */
    static final Duration MIN_POLL = Duration.ofMillis(10);
    static final Duration MAX_POLL = Duration.ofMinutes(1);

    @Option(names = "--static", paramLabel = "PREFIX=DIR",
            description = "serve PREFIX of SITE (e.g. /assets) from DIR over IPFS: imported into <home>/blocks, served"
                    + " by bitswap, watched and republished when it changes (repeatable, at most " + Manifest.MAX_ENTRIES
                    + ")")
    List<String> statics = new ArrayList<>();
    @Option(names = "--stream", paramLabel = "PREFIX=DIR",
            description = "a live stream under PREFIX of SITE (e.g. /live) from DIR (an encoder's HLS output): its own"
                    + " IPNS name (key <SITE>-stream-<prefix words>, made on first use), record /ipfs/ROOT with TTL 1s"
                    + " republished on each change (repeatable, at most " + Manifest.MAX_ENTRIES + ")")
    List<String> streams = new ArrayList<>();
    @Option(names = "--watch-interval", paramLabel = "DURATION",
            description = "how often --static/--stream directories are looked at (default: 1s for static, 200ms for"
                    + " streams)")
    Duration watchInterval;

    /** One {@code PREFIX=DIR}. */
    record Mount(String prefix, Path dir) {}

    /** A site's mounts. */
    record SiteMounts(IpnsName site, String keyName, List<Mount> statics, List<Mount> streams) {}

    boolean given() {
        return !statics.isEmpty() || !streams.isEmpty();
    }

    /**
     * The command line's mounts (for SITE) and a config-file site's, checked: a bad prefix or a
     * duplicate is a usage error (exit 2), a missing or unreadable DIR a failure (exit 1).
     *
     * @param configDir directory relative config paths are resolved against
     */
    static SiteMounts mounts(CommandLine cl, Exposer.Site site, Map<String, String> statics, Map<String, String> streams,
            List<String> cliStatics, List<String> cliStreams, Path configDir) {
        List<Mount> s = new ArrayList<>();
        List<Mount> t = new ArrayList<>();
        if (statics != null) {
            statics.forEach((p, d) -> s.add(mount(cl, p, d, configDir, "config \"statics\"")));
        }
        if (streams != null) {
            streams.forEach((p, d) -> t.add(mount(cl, p, d, configDir, "config \"streams\"")));
        }
        for (String m : cliStatics) {
            s.add(parse(cl, m, "--static"));
        }
        for (String m : cliStreams) {
            t.add(parse(cl, m, "--stream"));
        }
        if (s.size() > Manifest.MAX_ENTRIES || t.size() > Manifest.MAX_ENTRIES) {
            throw new CommandLine.ParameterException(cl, "site " + site.keyName() + ": at most " + Manifest.MAX_ENTRIES
                    + " static and " + Manifest.MAX_ENTRIES + " stream prefixes");
        }
        Set<String> seen = new HashSet<>();
        Map<String, String> keys = new HashMap<>();
        for (Mount m : s) {
            if (!seen.add(m.prefix())) {
                throw new CommandLine.ParameterException(cl, "site " + site.keyName() + ": prefix " + m.prefix()
                        + " is given twice");
            }
        }
        for (Mount m : t) {
            if (!seen.add(m.prefix())) {
                throw new CommandLine.ParameterException(cl, "site " + site.keyName() + ": prefix " + m.prefix()
                        + " is given twice");
            }
            String key = PathPrefixes.streamKeyName(site.keyName(), m.prefix());
            String other = keys.put(key, m.prefix());
            if (other != null) {
                throw new CommandLine.ParameterException(cl, "site " + site.keyName() + ": streams " + other + " and "
                        + m.prefix() + " would share the key '" + key + "'; choose prefixes whose words differ");
            }
        }
        for (Mount m : s) {
            checkDir(m);
        }
        for (Mount m : t) {
            checkDir(m);
        }
        return new SiteMounts(site.name(), site.keyName(), List.copyOf(s), List.copyOf(t));
    }

    static Mount parse(CommandLine cl, String text, String option) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            throw new CommandLine.ParameterException(cl, option + " '" + text + "' must be PREFIX=DIR, e.g. /assets=./public");
        }
        return mount(cl, text.substring(0, eq), text.substring(eq + 1), null, option);
    }

    private static Mount mount(CommandLine cl, String prefix, String dir, Path base, String what) {
        try {
            PathPrefixes.check(prefix);
        } catch (ExposerException e) {
            throw new CommandLine.ParameterException(cl, what + ": " + e.getMessage());
        }
        if (dir == null || dir.isBlank()) {
            throw new CommandLine.ParameterException(cl, what + ": no directory for " + prefix);
        }
        Path p = Path.of(dir);
        if (!p.isAbsolute() && base != null) {
            p = base.resolve(p);
        }
        return new Mount(prefix, p.toAbsolutePath().normalize());
    }

    private static void checkDir(Mount m) {
        if (!Files.exists(m.dir())) {
            throw new CliException("directory " + m.dir() + " for " + m.prefix() + " does not exist");
        }
        if (!Files.isDirectory(m.dir())) {
            throw new CliException(m.dir() + " for " + m.prefix() + " is not a directory");
        }
        if (!Files.isReadable(m.dir())) {
            throw new CliException("directory " + m.dir() + " for " + m.prefix() + " cannot be read");
        }
    }

    Duration staticPoll(CommandLine cl) {
        return poll(cl, DEFAULT_STATIC_POLL);
    }

    Duration streamPoll(CommandLine cl) {
        return poll(cl, LiveStream.DEFAULT_POLL);
    }

    private Duration poll(CommandLine cl, Duration dflt) {
        if (watchInterval == null) {
            return dflt;
        }
        if (watchInterval.compareTo(MIN_POLL) < 0 || watchInterval.compareTo(MAX_POLL) > 0) {
            throw new CommandLine.ParameterException(cl, "--watch-interval must be between 10ms and 1m");
        }
        return watchInterval;
    }

    /** The home's block store, which the exposer's bitswap serves. */
    static FsBlockStore openStore(Home home) {
        try {
            return FsBlockStore.open(home.blocksDir(), IpfsCommand.MAX_STORE_BYTES, true);
        } catch (IOException e) {
            throw new CliException("cannot open the block store " + home.blocksDir() + ": " + e.getMessage());
        }
    }

    /**
     * Before {@link Exposer#start()}: imports the static directories and names the streams in the
     * manifests. The caller closes the result (before the exposer).
     */
    static StaticOffload beforeStart(Exposer exposer, Home home, FsBlockStore store, List<SiteMounts> all,
            Duration staticPoll, Duration streamPoll, PrintWriter out, boolean quiet) {
        StaticOffload offload = new StaticOffload(exposer, store, ImportOptions.defaults(), staticPoll, streamPoll);
        try {
            for (SiteMounts sm : all) {
                for (Mount m : sm.statics()) {
                    Cid root;
                    try {
                        root = offload.addStatic(sm.site(), m.prefix(), m.dir()).root();
                    } catch (IOException e) {
                        throw new CliException("cannot import " + m.dir() + " for " + m.prefix() + ": " + e.getMessage());
                    }
                    if (!quiet) {
                        out.println("site " + sm.keyName() + ": static " + m.prefix() + " -> /ipfs/" + root + " (" + m.dir() + ")");
                    }
                }
                for (Mount m : sm.streams()) {
                    String keyName = PathPrefixes.streamKeyName(sm.keyName(), m.prefix());
                    PrivKey key = home.keyCreatedOnFirstUse(keyName);
                    IpnsName name = offload.addStream(sm.site(), m.prefix(), m.dir(), key);
                    if (!quiet) {
                        out.println("site " + sm.keyName() + ": stream " + m.prefix() + " -> /ipns/" + name + " (key "
                                + keyName + ", " + m.dir() + ")");
                    }
                }
            }
            return offload;
        } catch (RuntimeException e) {
            offload.close();
            throw e;
        }
    }

    /** After {@link Exposer#start()}: starts the streams and the watch of other processes' stream registrations. */
    static void afterStart(StaticOffload offload, Home home, Publisher publisher, List<URI> routers) {
        try {
            offload.startStreams(new LiveStream.Target(publisher, routers));
        } catch (IOException e) {
            throw new CliException("cannot start a stream: " + e.getMessage());
        }
        offload.watchRegistrations(new StreamRegistry(home.streamsDir()), StaticOffload.REGISTRATION_CHECK);
    }
}
