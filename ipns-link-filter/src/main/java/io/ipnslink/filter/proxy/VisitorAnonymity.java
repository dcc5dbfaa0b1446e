package io.ipnslink.filter.proxy;

import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.config.GatewayConfig;

/**
 * Whether sites learn their visitors' addresses ({@code forward-visitor-address}, default off).
 *
 * <p>Off: the request going to a site carries no header with the visitor's address: no
 * {@code X-Forwarded-For}, no {@code for=} in {@code Forwarded}, and none of the "real client IP"
 * headers ({@code X-Real-IP} and the others of {@link io.ipnslink.tunnel.ForwardingHeaders#NAMES});
 * whatever of them the visitor sent is dropped as always ({@link HeaderRules#requestCrosses}).
 * {@code X-Forwarded-Proto}, {@code X-Forwarded-Host} and {@code Forwarded: proto=;host=} still
 * go: they name the gateway's public side, not the visitor. On: the visitor's address as the
 * gateway resolved it ({@code trusted-proxies} honoured) goes as {@code X-Forwarded-For} and
 * {@code Forwarded: for=}, for sites behind a gateway of their own organisation that need it
 * (logs, rate limits, a corporate reverse proxy's rules).
 *
 * <p>The gateway still uses the address itself (per-visitor limits, its own access decisions);
 * only what leaves for the site changes. What the exposer adds on its side is described in
 * {@link io.ipnslink.tunnel.ForwardingHeaders}: a gateway it does not trust gets its own peer
 * address written as {@code X-Forwarded-For}, which is the gateway's address, never the visitor's.
 */
public record VisitorAnonymity(boolean forwardVisitorAddress) {
    /** The default: sites do not learn visitors' addresses. */
    public static final VisitorAnonymity DEFAULT = new VisitorAnonymity(false);

    /** @throws io.ipnslink.filter.config.ConfigException naming the key of a bad value */
    public static VisitorAnonymity from(ConfigValues values) {
        return new VisitorAnonymity(values.parse(ConfigKey.FORWARD_VISITOR_ADDRESS, GatewayConfig::bool));
    }

    /** The address a site may learn: {@code resolved} when forwarding is on, else null (none). */
    public String forSite(String resolved) {
        return forwardVisitorAddress ? resolved : null;
    }
}
