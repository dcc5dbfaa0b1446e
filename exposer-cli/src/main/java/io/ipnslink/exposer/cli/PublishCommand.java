package io.ipnslink.exposer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.exposer.AdminClient;
import io.ipnslink.exposer.Exposer;
import io.ipnslink.exposer.Home;
import io.ipnslink.exposer.Publisher;
import io.ipnslink.exposer.SequenceStore;
import io.ipnslink.exposer.SiteSettings;
import io.ipnslink.routing.client.RoutingV1Client;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipns-link publish SITE}: publish the site's manifest now. */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Publish a site's manifest record now.",
                "Asks the running expose when there is one; otherwise publishes the last known addresses."})
final class PublishCommand extends Base implements java.util.concurrent.Callable<Integer> {
    @Parameters(paramLabel = "SITE")
    String site;
    @Option(names = "--publish-to", paramLabel = "ROUTER_URL", description = "routers (default: those of the last expose)")
    List<String> publishTo = new ArrayList<>();
    @picocli.CommandLine.Mixin
    RouteOptions routes = new RouteOptions();
    @picocli.CommandLine.Mixin
    GatewayAccessOptions access = new GatewayAccessOptions();
    @picocli.CommandLine.Mixin
    PrivateNetworkOptions privateNetwork = new PrivateNetworkOptions();

    @Override
    public Integer call() {
        return run(this, site, publishTo, false, routes.inNetwork(privateNetwork.key()), access);
    }

    static int run(Base cmd, String site, List<String> publishTo, boolean hide) {
        return run(cmd, site, publishTo, hide, null, null);
    }

    static int run(Base cmd, String site, List<String> publishTo, boolean hide, RouteOptions routes) {
        return run(cmd, site, publishTo, hide, routes, null);
    }

    /**
     * @param access {@code --allow-gateway}/{@code --encrypt-to} of this command, or null; without
     *     them, what the last expose of the site saved
     */
    static int run(Base cmd, String site, List<String> publishTo, boolean hide, RouteOptions routes,
            GatewayAccessOptions access) {
        Home home = cmd.home();
        PrivKey key = home.siteKey(site);
        Optional<AdminClient> running = AdminClient.find(home);
        boolean p2p = routes != null && routes.options(null) != null;
        if (running.isPresent() && publishTo.isEmpty() && !p2p) {
            if (access != null && access.given()) {
                throw new CliException("--allow-gateway, --encrypt-to and --encrypt-host are the running expose's:"
                        + " restart it with them (or give --publish-to to publish from here)");
            }
            JsonNode r = running.get().post((hide ? "/hide/" : "/publish/")
                    + java.net.URLEncoder.encode(site, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
            if (cmd.json()) {
                cmd.root().printJson(r);
            } else {
                printResult(cmd.out(), r);
            }
            boolean ok = r.path("pubsub").path("peers").asInt() > 0 || r.path("dht").path("peers").asInt() > 0;
            for (JsonNode x : r.path("routers")) {
                ok |= x.path("ok").asBoolean();
            }
            return ok ? Main.OK : Main.FAILURE;
        }
        Optional<SiteSettings> saved = SiteSettings.load(home, site);
        List<URI> routers = Options.routers(publishTo.isEmpty()
                ? saved.map(SiteSettings::publishTo).orElse(List.of()) : publishTo);
        if (routers.isEmpty() && !p2p) {
            throw new CliException("no router for site '" + site + "': give --publish-to ROUTER_URL or --bootstrap MULTIADDR");
        }
        Manifest m = new Manifest(home.hostKey().peerId(),
                Options.multiaddrs(saved.map(SiteSettings::addresses).orElse(List.of()), "saved address"),
                saved.map(SiteSettings::host).orElse(null), saved.map(SiteSettings::onfail).orElse(null), false,
                List.of(), List.of(), saved.map(SiteSettings::gateways).filter(g -> !g.isEmpty())
                        .orElseGet(() -> new Exposer.Options(List.of(), List.of(), false, routers, List.of(), java.time.Duration.ZERO)
                                .effectiveGateways()));
        io.ipnslink.exposer.GatewayAccess gatewayAccess = access != null && access.given() ? access.fromCommandLine()
                : io.ipnslink.exposer.GatewayAccess.load(home, site);
        if (hide) {
            m = m.asOffline();
        } else if (!cmd.json()) {
            cmd.err().println("note: no expose is running for " + home.dir() + "; publishing the last known addresses");
        }
        try {
            m = gatewayAccess.apply(io.ipnslink.core.ipns.IpnsName.of(key.peerId()), m);
        } catch (RuntimeException e) {
            throw new CliException("cannot restrict or seal the manifest of '" + site + "': " + e.getMessage());
        }
        try (RoutingV1Client client = new RoutingV1Client();
                io.ipnslink.p2p.ipns.IpnsP2pNode node = p2p ? routes.start(null) : null) {
            Publisher p = new Publisher(client, new SequenceStore(home.stateDir()),
                    Publisher.Settings.defaults().withRetries(3, java.time.Duration.ofMillis(500)), Clock.systemUTC())
                    .withP2p(node);
            Publisher.Result r = p.publish(key, m, routers);
            if (cmd.json()) {
                cmd.root().printJson(Exposer.resultMap(r));
            } else {
                printResult(cmd.out(), r);
            }
            if (!r.anyOk()) {
                cmd.err().println("ipns-link: no router accepted the record of " + site
                        + (r.routers().isEmpty() ? " (no pubsub or DHT peer took it)" : ": " + r.routers().get(0).message()));
                return Main.FAILURE;
            }
            return Main.OK;
        }
    }

    static void printResult(PrintWriter out, Publisher.Result r) {
        out.println((r.anyOk() ? "  published " : "  NOT published (no router accepted it) ") + r.name()
                + (r.offline() ? " (offline)" : "") + " sequence "
                + Long.toUnsignedString(r.sequence()) + ", valid until " + r.validity());
        for (Publisher.RouterResult rr : r.routers()) {
            out.println("    " + (rr.ok() ? "ok     " : "FAILED ") + rr.router() + (rr.ok() ? "" : ": " + rr.message()));
        }
        if (r.p2p() != null) {
            printRoute(out, "pubsub", r.p2p().pubsubPeers(), r.p2p().pubsubError());
            printRoute(out, "DHT", r.p2p().dhtPeers(), r.p2p().dhtError());
        }
    }

    static void printRoute(PrintWriter out, String route, int peers, String error) {
        if (peers >= 0) {
            out.println("    " + (peers > 0 ? "ok     " : "FAILED ") + route + ": " + peers + " peer(s)"
                    + (error != null ? " (" + error + ")" : ""));
        }
    }

    static void printResult(PrintWriter out, JsonNode r) {
        boolean any = r.path("pubsub").path("peers").asInt() > 0 || r.path("dht").path("peers").asInt() > 0;
        for (JsonNode rr : r.path("routers")) {
            any |= rr.path("ok").asBoolean();
        }
        out.println((any ? "  published " : "  NOT published (no router accepted it) ") + r.path("name").asText() + (r.path("offline").asBoolean() ? " (offline)" : "")
                + " sequence " + r.path("sequence").asText() + ", valid until " + r.path("validity").asText());
        for (JsonNode rr : r.path("routers")) {
            boolean ok = rr.path("ok").asBoolean();
            out.println("    " + (ok ? "ok     " : "FAILED ") + rr.path("router").asText() + (ok ? "" : ": " + rr.path("message").asText()));
        }
        for (String route : List.of("pubsub", "dht")) {
            JsonNode x = r.path(route);
            if (x.path("on").asBoolean()) {
                printRoute(out, route.equals("dht") ? "DHT" : route, x.path("peers").asInt(),
                        x.hasNonNull("error") ? x.path("error").asText() : null);
            }
        }
    }
}
