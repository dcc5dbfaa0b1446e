package io.ipnslink.filter;

import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.p2p.Host;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * What a test (or an embedding application) may replace in the filter: the clock, the DNS TXT
 * lookup, the environment read for {@code IPNSLINK_*} keys, and the forwarder. Null fields mean
 * the default.
 *
 * @param clock decides record expiry and cache lifetimes
 * @param txtLookup DNSLink TXT lookups (default: dnsjava)
 * @param environment environment variables (default: {@code System.getenv()})
 * @param forwarder builds the forwarder from the host and the config (default: {@code OriginProxy})
 */
public record GatewayOverrides(Clock clock, TxtLookup txtLookup, Map<String, String> environment,
        BiFunction<Host, GatewayConfig, Forwarder> forwarder) {

    /** Everything default. */
    public static GatewayOverrides none() {
        return new GatewayOverrides(null, null, null, null);
    }

    public GatewayOverrides withClock(Clock c) {
        return new GatewayOverrides(Objects.requireNonNull(c), txtLookup, environment, forwarder);
    }

    public GatewayOverrides withTxtLookup(TxtLookup t) {
        return new GatewayOverrides(clock, Objects.requireNonNull(t), environment, forwarder);
    }

    public GatewayOverrides withEnvironment(Map<String, String> env) {
        return new GatewayOverrides(clock, txtLookup, Map.copyOf(env), forwarder);
    }

    public GatewayOverrides withForwarder(BiFunction<Host, GatewayConfig, Forwarder> f) {
        return new GatewayOverrides(clock, txtLookup, environment, Objects.requireNonNull(f));
    }
}
