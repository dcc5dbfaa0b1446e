package io.ipnslink.filter;

import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.p2p.Host;
import java.time.Clock;
import io.ipnslink.filter.pipeline.DomainMap;
import io.ipnslink.filter.pipeline.RequestObserver;
import io.ipnslink.filter.pipeline.SiteGate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * What a test (or an embedding application) may replace or add in the filter: the clock, the DNS
 * TXT lookup, the environment read for {@code IPNSLINK_*} keys, the forwarder, and extra site gates,
 * request observers and custom domains. Null fields mean the default.
 *
 * @param clock decides record expiry and cache lifetimes
 * @param txtLookup DNSLink TXT lookups (default: dnsjava)
 * @param environment environment variables (default: {@code System.getenv()})
 * @param forwarder builds the forwarder from the host and the config (default: {@code OriginProxy})
 * @param gates site gates run before the configured ones (an embedding application's own rules)
 * @param observers request observers told besides the configured ones
 * @param domains custom domains asked when the configured parts map none (null: none)
 */
public record GatewayOverrides(Clock clock, TxtLookup txtLookup, Map<String, String> environment,
        BiFunction<Host, GatewayConfig, Forwarder> forwarder, List<SiteGate> gates, List<RequestObserver> observers,
        DomainMap domains) {

    public GatewayOverrides {
        gates = gates == null ? List.of() : List.copyOf(gates);
        observers = observers == null ? List.of() : List.copyOf(observers);
    }

    /** Everything default. */
    public static GatewayOverrides none() {
        return new GatewayOverrides(null, null, null, null, List.of(), List.of(), null);
    }

    public GatewayOverrides withClock(Clock c) {
        return new GatewayOverrides(Objects.requireNonNull(c), txtLookup, environment, forwarder, gates, observers, domains);
    }

    public GatewayOverrides withTxtLookup(TxtLookup t) {
        return new GatewayOverrides(clock, Objects.requireNonNull(t), environment, forwarder, gates, observers, domains);
    }

    public GatewayOverrides withEnvironment(Map<String, String> env) {
        return new GatewayOverrides(clock, txtLookup, Map.copyOf(env), forwarder, gates, observers, domains);
    }

    public GatewayOverrides withForwarder(BiFunction<Host, GatewayConfig, Forwarder> f) {
        return new GatewayOverrides(clock, txtLookup, environment, Objects.requireNonNull(f), gates, observers, domains);
    }

    /** Adds a gate, run before the configured ones. */
    public GatewayOverrides withGate(SiteGate g) {
        List<SiteGate> l = new ArrayList<>(gates);
        l.add(Objects.requireNonNull(g));
        return new GatewayOverrides(clock, txtLookup, environment, forwarder, l, observers, domains);
    }

    /** Adds a request observer. */
    public GatewayOverrides withObserver(RequestObserver o) {
        List<RequestObserver> l = new ArrayList<>(observers);
        l.add(Objects.requireNonNull(o));
        return new GatewayOverrides(clock, txtLookup, environment, forwarder, gates, l, domains);
    }

    /** Custom domains asked when the configured parts map none. */
    public GatewayOverrides withDomains(DomainMap d) {
        return new GatewayOverrides(clock, txtLookup, environment, forwarder, gates, observers, Objects.requireNonNull(d));
    }
}
