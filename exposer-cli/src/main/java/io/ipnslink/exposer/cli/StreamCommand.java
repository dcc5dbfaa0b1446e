package io.ipnslink.exposer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipfs.FsBlockStore;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.exposer.AdminClient;
import io.ipnslink.exposer.ExposerException;
import io.ipnslink.exposer.Home;
import io.ipnslink.exposer.LiveStream;
import io.ipnslink.exposer.PathPrefixes;
import io.ipnslink.exposer.Publisher;
import io.ipnslink.exposer.SequenceStore;
import io.ipnslink.exposer.SiteSettings;
import io.ipnslink.exposer.StreamRegistry;
import io.ipnslink.routing.client.RoutingV1Client;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ipns-link stream SITE DIR --prefix /live}: a live stream as a process of its own, next to
 * an {@code expose SITE} in another process (an encoder writes DIR). Imports DIR into
 * {@code <home>/blocks} (which the expose's bitswap serves), publishes the stream's record
 * ({@code /ipfs/ROOT}, TTL 1 s) at each change, and registers the stream in
 * {@code <home>/streams/} so that the running expose puts it in the site's manifest; the
 * registration is removed at stop.
 */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = {"Publish a live stream of a site from a directory (an encoder's HLS output); runs until Ctrl-C.",
                "A running 'ipns-link expose SITE' adds it to the site's manifest and serves its blocks."})
final class StreamCommand extends Base implements java.util.concurrent.Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SITE", description = "site key name (the expose's SITE)")
    String site;
    @Parameters(index = "1", paramLabel = "DIR", description = "stream directory (playlist and segments)")
    Path dir;
    @Option(names = "--prefix", paramLabel = "PREFIX", required = true,
            description = "site path prefix the stream is served under, e.g. /live")
    String prefix;
    @Option(names = "--stream-key", paramLabel = "NAME",
            description = "keystore name of the stream's key (default: <SITE>-stream-<prefix words>, made on first use)")
    String streamKey;
    @Option(names = "--publish-to", paramLabel = "ROUTER_URL",
            description = "routing v1 endpoint (repeatable; default: those of the site's last expose)")
    List<String> publishTo = new ArrayList<>();
    @Option(names = "--lifetime", paramLabel = "DURATION", description = "record lifetime (default 24h)")
    Duration lifetime;
    @Option(names = "--watch-interval", paramLabel = "DURATION",
            description = "how often DIR is looked at (default 200ms; a change is published within about two looks)")
    Duration watchInterval;
    @picocli.CommandLine.Mixin
    RouteOptions routes = new RouteOptions();
    @picocli.CommandLine.Mixin
    PrivateNetworkOptions privateNetwork = new PrivateNetworkOptions();

    @Override
    public Integer call() {
        Home home = home();
        try {
            PathPrefixes.check(prefix);
        } catch (ExposerException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--prefix: " + e.getMessage());
        }
        Duration poll = watchInterval == null ? LiveStream.DEFAULT_POLL : watchInterval;
        if (poll.compareTo(StaticOptions.MIN_POLL) < 0 || poll.compareTo(StaticOptions.MAX_POLL) > 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--watch-interval must be between 10ms and 1m");
        }
        Duration life = lifetime != null ? lifetime : Publisher.Settings.DEFAULT_LIFETIME;
        if (life.isNegative() || life.isZero()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--lifetime must be positive");
        }
        PrivKey siteKey = home.siteKey(site);
        IpnsName siteName = IpnsName.of(siteKey.peerId());
        Path d = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(d)) {
            throw new CliException(Files.exists(d) ? d + " is not a directory" : "directory " + d + " does not exist");
        }
        if (!Files.isReadable(d)) {
            throw new CliException("directory " + d + " cannot be read");
        }
        List<URI> routers = Options.routers(publishTo.isEmpty()
                ? SiteSettings.load(home, site).map(SiteSettings::publishTo).orElse(List.of()) : publishTo);
        routes.inNetwork(privateNetwork.key());
        if (routers.isEmpty() && routes.options(null) == null) {
            throw new CliException("no router for the stream of '" + site + "': give --publish-to ROUTER_URL or"
                    + " --bootstrap MULTIADDR (or run 'ipns-link expose " + site + "' once with --publish-to)");
        }
        String keyName = streamKey != null ? streamKey : PathPrefixes.streamKeyName(site, prefix);
        PrivKey key = home.keyCreatedOnFirstUse(keyName);
        if (key.peerId().equals(siteKey.peerId())) {
            throw new CliException("--stream-key must not be the site's own key");
        }
        FsBlockStore store;
        try {
            store = FsBlockStore.open(home.blocksDir(), IpfsCommand.MAX_STORE_BYTES, true);
        } catch (IOException e) {
            throw new CliException("cannot open the block store " + home.blocksDir() + ": " + e.getMessage());
        }
        StreamRegistry registry = new StreamRegistry(home.streamsDir());
        long pid = ProcessHandle.current().pid();
        IpnsName name = IpnsName.of(key.peerId());
        try (RoutingV1Client client = new RoutingV1Client();
                io.ipnslink.p2p.ipns.IpnsP2pNode node = routes.start(null)) {
            Publisher publisher = new Publisher(client, new SequenceStore(home.stateDir()),
                    Publisher.Settings.defaults().withLifetimeAndTtl(life, LiveStream.TTL).withRetries(3,
                            Duration.ofMillis(250)), Clock.systemUTC()).withP2p(node);
            registry.register(new StreamRegistry.Registration(site, siteName.toString(), prefix, name.toString(), pid,
                    d.toString()));
            try (LiveStream stream = LiveStream.start(prefix, key, d, store, ImportOptions.defaults(), poll,
                    new LiveStream.Target(publisher, routers), this::printPublish)) {
                report(home, stream, keyName, d);
                root().env.stop().await();
                if (!json()) {
                    out().println("stopping");
                }
            } catch (IOException e) {
                throw new CliException("cannot import " + d + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                registry.unregister(siteName, prefix, pid);
            }
        }
        return Main.OK;
    }

    private void report(Home home, LiveStream stream, String keyName, Path d) {
        if (json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("site", site);
            m.put("prefix", prefix);
            m.put("name", stream.name().toString());
            m.put("key", keyName);
            m.put("dir", d.toString());
            m.put("root", String.valueOf(stream.root()));
            if (stream.lastError() != null) {
                m.put("error", stream.lastError());
            }
            root().printJson(m);
        } else {
            out().println("stream " + prefix + " of site " + site + " -> /ipns/" + stream.name() + " (key " + keyName
                    + ", " + d + ")");
            if (stream.lastError() != null) {
                err().println("warning: the stream's record did not go out yet (" + stream.lastError()
                        + "); retrying in the background");
            }
        }
        exposeRunning(home).ifPresent(w -> err().println("warning: " + w));
        if (!json()) {
            out().println("streaming; press Ctrl-C to stop");
        }
        out().flush();
        err().flush();
    }

    /** A warning when no expose of this home serves the site (the manifest then does not point at the stream). */
    private Optional<String> exposeRunning(Home home) {
        String hint = "the stream's record is published, but the site's manifest points at it only while 'ipns-link"
                + " expose " + site + "' runs with this home (it picks the stream up by itself)";
        Optional<AdminClient> admin = AdminClient.find(home);
        if (admin.isEmpty()) {
            return Optional.of("no expose is running for " + home.dir() + ": " + hint);
        }
        try {
            JsonNode status = admin.get().get("/status");
            for (JsonNode s : status.path("sites")) {
                if (site.equals(s.path("site").asText())) {
                    return Optional.empty();
                }
            }
            return Optional.of("the running expose does not serve site '" + site + "': " + hint);
        } catch (ExposerException e) {
            return Optional.of("cannot ask the running expose (" + e.getMessage() + "): " + hint);
        }
    }

    private void printPublish(Publisher.Result r) {
        if (json()) {
            return;
        }
        PublishCommand.printResult(out(), r);
        out().flush();
    }
}
