package io.ipnslink.filter.ipfs;

import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.config.GatewayConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The IPFS keys ({@code ipfs-gateway}, {@code ipfs-cache-dir}, {@code ipfs-cache-size},
 * {@code ipfs-upstream}, {@code ipfs-fetch-timeout}, {@code ipfs-max-blocks}, {@code ipfs-threads}).
 *
 * @param enabled {@code ipfs-gateway}
 * @param cacheDir the block cache's directory ({@code ipfs-blocks} under {@code data-dir} when unset)
 * @param upstreams base URLs of trustless gateways
 * @param memoryCache bytes of verified blocks kept in memory in front of the cache ({@code ipfs-memory-cache})
 */
public record IpfsSettings(boolean enabled, Path cacheDir, long cacheSize, List<URI> upstreams, Duration fetchTimeout,
        long maxBlocks, int threads, long memoryCache) {
    /** Name of the default cache directory under {@code data-dir}. */
    public static final String DEFAULT_CACHE_DIR_NAME = "ipfs-blocks";

    public IpfsSettings {
        Objects.requireNonNull(cacheDir, "cacheDir");
        upstreams = List.copyOf(upstreams);
    }

    /** Reads the keys; a bad value is a {@link io.ipnslink.filter.config.ConfigException} naming its key. */
    public static IpfsSettings from(ConfigValues v, Path dataDir) {
        String dir = v.raw(ConfigKey.IPFS_CACHE_DIR).orElse("");
        return new IpfsSettings(v.parse(ConfigKey.IPFS_GATEWAY, GatewayConfig::bool),
                dir.isBlank() ? dataDir.resolve(DEFAULT_CACHE_DIR_NAME) : v.parse(ConfigKey.IPFS_CACHE_DIR, Path::of),
                v.parse(ConfigKey.IPFS_CACHE_SIZE, GatewayConfig::size),
                v.list(ConfigKey.IPFS_UPSTREAM, GatewayConfig::httpUrl),
                v.parse(ConfigKey.IPFS_FETCH_TIMEOUT, GatewayConfig::positiveDuration),
                v.parse(ConfigKey.IPFS_MAX_BLOCKS, t -> (long) GatewayConfig.positiveInt(t, 100_000_000)),
                v.parse(ConfigKey.IPFS_THREADS, t -> GatewayConfig.positiveInt(t, 1024)),
                v.parse(ConfigKey.IPFS_MEMORY_CACHE, GatewayConfig::size));
    }
}
