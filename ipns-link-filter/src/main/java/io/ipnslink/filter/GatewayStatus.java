package io.ipnslink.filter;

import io.ipnslink.filter.config.GatewayConfig;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * A snapshot of a running gateway, for status pages and monitoring ({@link IpnsLinkFilter#status()},
 * or the {@link IpnsLinkFilter#STATUS_ATTRIBUTE} context attribute).
 *
 * @param version the project version ({@code Implementation-Version} of the filter jar, else the
 *     build's {@code version.properties}, else {@code "dev"})
 * @param mode what the filter does
 * @param peerId the gateway's libp2p peer id; null in redirect mode
 * @param listenAddresses the libp2p listen addresses; empty in redirect mode (and with {@code listen} empty)
 * @param startedAt when the filter started
 * @param uptime time since {@code startedAt}
 * @param knownSites names with a record in the gateway's record store (published to it or fetched
 *     from routing endpoints; expired records count until removed); null when the store cannot tell
 * @param originConnections open libp2p connections (to sites' peers); 0 in redirect mode
 * @param requests what the gateway answered since it started
 */
public record GatewayStatus(String version, GatewayConfig.Mode mode, String peerId, List<String> listenAddresses,
        Instant startedAt, Duration uptime, Long knownSites, int originConnections, Requests requests) {

    /** Fallback version when neither the jar manifest nor the build resource tells. */
    public static final String DEV_VERSION = "dev";

    public GatewayStatus {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(mode, "mode");
        listenAddresses = List.copyOf(listenAddresses);
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(uptime, "uptime");
        Objects.requireNonNull(requests, "requests");
    }

    /**
     * Requests the gateway answered itself (sites, redirects, the routing endpoint, raw records,
     * error pages; not those it passed down the filter chain), by status class, and failures by kind.
     *
     * @param total answered requests that have ended
     * @param status2xx answers with a 2xx status
     * @param status3xx answers with a 3xx status
     * @param status4xx answers with a 4xx status
     * @param status5xx answers with a 5xx status
     * @param errors failures by kind ({@code not-found}, {@code origin-unreachable}, {@code offline},
     *     {@code invalid-request}, ...), sorted by kind; kinds that never happened are absent
     */
    public record Requests(long total, long status2xx, long status3xx, long status4xx, long status5xx,
            Map<String, Long> errors) {
        public Requests {
            errors = Map.copyOf(errors);
        }
    }

    /** The project version, read once. */
    public static String projectVersion() {
        return VersionHolder.VERSION;
    }

    private static final class VersionHolder {
        static final String VERSION = read();

        private static String read() {
            Package p = GatewayStatus.class.getPackage();
            String v = p == null ? null : p.getImplementationVersion();
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
            try (InputStream in = GatewayStatus.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    Properties props = new Properties();
                    props.load(in);
                    String fromBuild = props.getProperty("version");
                    if (fromBuild != null && !fromBuild.isBlank() && !fromBuild.startsWith("${")) {
                        return fromBuild.trim();
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                // fall back below
            }
            return DEV_VERSION;
        }
    }
}
