package io.ipnslink.filter.ipfs;

import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.config.GatewayConfig;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The keys of a site's static and stream prefixes ({@code static-offload}, {@code static-gateway})
 * and of bitswap as a block source ({@code ipfs-bitswap}); docs/static.md.
 *
 * @param offload what the gateway does with a manifest's {@code s} and {@code t} prefixes
 * @param staticGateway the public IPFS gateway of {@link Offload#REDIRECT} (no trailing slash), or empty
 * @param bitswap whether blocks are fetched by bitswap on the gateway's host
 */
public record StaticSettings(Offload offload, Optional<URI> staticGateway, boolean bitswap) {
    /** {@code static-offload}. */
    public enum Offload {
        /** Served from IPFS by this gateway (the default). */
        SERVE,
        /** 302 to {@code {static-gateway}/ipfs/{cid}{rest}}. */
        REDIRECT,
        /** The prefixes are ignored: forwarded to the origin as any other path. */
        ORIGIN
    }

    public StaticSettings {
        Objects.requireNonNull(offload, "offload");
        Objects.requireNonNull(staticGateway, "staticGateway");
        if (offload == Offload.REDIRECT && staticGateway.isEmpty()) {
            throw new ConfigException(ConfigKey.STATIC_GATEWAY, "configuration key 'static-gateway': static-offload=redirect"
                    + " needs the URL of the IPFS gateway to send visitors to (e.g. https://ipfs.io)");
        }
    }

    /** Reads the keys; a bad value is a {@link ConfigException} naming its key. */
    public static StaticSettings from(ConfigValues v) {
        Offload offload = v.parse(ConfigKey.STATIC_OFFLOAD, t -> switch (t.trim().toLowerCase(Locale.ROOT)) {
            case "serve" -> Offload.SERVE;
            case "redirect" -> Offload.REDIRECT;
            case "origin" -> Offload.ORIGIN;
            default -> throw new IllegalArgumentException("'" + t + "' is not one of serve, redirect, origin");
        });
        String gw = v.raw(ConfigKey.STATIC_GATEWAY).orElse("");
        Optional<URI> gateway = gw.isBlank() ? Optional.empty()
                : Optional.of(v.parse(ConfigKey.STATIC_GATEWAY, t -> withoutTrailingSlash(GatewayConfig.httpUrl(t))));
        return new StaticSettings(offload, gateway, v.parse(ConfigKey.IPFS_BITSWAP, GatewayConfig::bool));
    }

    private static URI withoutTrailingSlash(URI u) {
        String s = u.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return URI.create(s);
    }
}
