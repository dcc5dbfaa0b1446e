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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipns-link resolve NAME}: fetch and verify the record through the routers. */
@Command(name = "resolve", mixinStandardHelpOptions = true,
        description = "Resolve an IPNS name through routing v1 endpoints; prints the verified record and manifest.")
final class ResolveCommand extends Base implements java.util.concurrent.Callable<Integer> {
    /** How long resolving may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Parameters(paramLabel = "NAME", description = "k51..., 12D3..., /ipns/..., or a site key name")
    String name;
    @Option(names = {"-r", "--router"}, paramLabel = "ROUTER_URL", description = "routers (default: those of the saved sites)")
    List<String> routers = new ArrayList<>();

    @Override
    public Integer call() throws RoutingException {
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
        if (endpoints.isEmpty()) {
            throw new CliException("no router: give --router ROUTER_URL");
        }
        try (RoutingV1Client client = new RoutingV1Client()) {
            Optional<IpnsRecord> r = client.resolve(endpoints, n, TIMEOUT);
            if (r.isEmpty()) {
                throw new CliException("no record for " + n + " at " + endpoints);
            }
            Map<String, Object> m = Views.record(r.get(), null, null);
            m.put("name", n.toString());
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
