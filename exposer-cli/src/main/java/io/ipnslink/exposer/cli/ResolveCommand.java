package io.ipnslink.exposer.cli;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.exposer.SiteSettings;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.client.RoutingV1Client;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import io.ipnslink.p2p.ipns.IpnsP2pNode;
import io.ipnslink.p2p.ipns.RecordRace;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipns-link resolve NAME}: fetch and verify the record through the routers. */
@Command(name = "resolve", mixinStandardHelpOptions = true,
        description = {"Resolve an IPNS name through routing v1 endpoints, pubsub and the DHT (racing them);",
                "prints the best verified record found and its manifest."})
final class ResolveCommand extends Base implements java.util.concurrent.Callable<Integer> {
    /** How long resolving may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Parameters(paramLabel = "NAME", description = "k51..., 12D3..., /ipns/..., or a site key name")
    String name;
    @Option(names = {"-r", "--router"}, paramLabel = "ROUTER_URL", description = "routers (default: those of the saved sites)")
    List<String> routers = new ArrayList<>();
    @picocli.CommandLine.Mixin
    RouteOptions routes = new RouteOptions();
    @picocli.CommandLine.Mixin
    PrivateNetworkOptions privateNetwork = new PrivateNetworkOptions();

    @Override
    public Integer call() throws RoutingException {
        routes.inNetwork(privateNetwork.key());
        IpnsName n;
        try {
            n = IpnsName.parse(name);
        } catch (IllegalArgumentException e) {
            if (!home().keystore().has(name)) {
                throw new CliException("'" + name + "' is neither an IPNS name nor a site key: " + e.getMessage());
            }
            n = IpnsName.of(home().siteKey(name).peerId());
        }
        List<URI> endpoints = Options.routers(routers.isEmpty() ? savedRouters() : routers);
        boolean p2p = routes.options(null) != null;
        if (endpoints.isEmpty() && !p2p) {
            throw new CliException("no router: give --router ROUTER_URL or --bootstrap MULTIADDR");
        }
        IpnsName target = n;
        try (RoutingV1Client client = new RoutingV1Client(); IpnsP2pNode node = p2p ? routes.start(null) : null) {
            Map<String, CompletableFuture<Optional<IpnsRecord>>> race = new LinkedHashMap<>();
            if (!endpoints.isEmpty()) {
                race.put("routing", CompletableFuture.supplyAsync(() -> {
                    try {
                        return client.resolve(endpoints, target, TIMEOUT);
                    } catch (RoutingException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }));
            }
            if (node != null && node.pubsub().isPresent()) {
                race.put("pubsub", node.resolvePubsub(target, TIMEOUT));
            }
            if (node != null && node.dht().isPresent()) {
                race.put("dht", node.resolveDht(target, TIMEOUT));
            }
            RecordRace.Outcome o = RecordRace.race(race, RecordRace.DEFAULT_GRACE, TIMEOUT.plusSeconds(1)).join();
            if (o.best().isEmpty()) {
                throw new CliException("no record for " + n + " (" + o.answers() + ")");
            }
            Map<String, Object> m = Views.record(o.best().get(), null, null);
            m.put("name", n.toString());
            m.put("from", o.route());
            if (json()) {
                root().printJson(m);
            } else {
                Views.print(out(), m, "");
            }
            return Main.OK;
        }
    }

    private List<String> savedRouters() {
        Set<String> out = new LinkedHashSet<>();
        try (var files = Files.list(home().sitesDir())) {
            for (var f : files.toList()) {
                String fn = f.getFileName().toString();
                if (fn.endsWith(".json")) {
                    io.ipnslink.core.keystore.Keystore.nameForFile(fn.substring(0, fn.length() - 5))
                            .flatMap(site -> SiteSettings.load(home(), site)).ifPresent(s -> out.addAll(s.publishTo()));
                }
            }
        } catch (java.io.IOException e) {
            // no saved sites
        }
        return List.copyOf(out);
    }
}
