package io.ipnslink.exposer.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.ipnslink.exposer.Exposer;
import io.ipnslink.p2p.Host;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * {@code expose --p2p-*}: what strangers may make the exposer's libp2p host hold. Each option may
 * also be given in the config file's {@code "p2p"} object (the option wins); what neither gives
 * keeps the p2p library's default.
 */
final class P2pLimitOptions {
    /** Largest value of the count options. */
    static final int MAX_COUNT = 1_000_000;

    @Option(names = "--p2p-max-connections", paramLabel = "N",
            description = "open libp2p connections; inbound ones beyond are refused (default 4096)")
    Integer maxConnections;
    @Option(names = "--p2p-max-connections-per-ip", paramLabel = "N",
            description = "inbound connections from one IP address or IPv6 /64 (default 64)")
    Integer maxConnectionsPerIp;
    @Option(names = "--p2p-max-pending-inbound", paramLabel = "N",
            description = "inbound connections in their handshake at once (default 256)")
    Integer maxPendingInbound;
    @Option(names = "--p2p-max-pending-inbound-per-ip", paramLabel = "N",
            description = "of those, from one IP address or IPv6 /64 (default 16)")
    Integer maxPendingInboundPerIp;
    @Option(names = "--p2p-max-connections-per-peer", paramLabel = "N",
            description = "connections with one peer id; a new one beyond closes the oldest (default 4)")
    Integer maxConnectionsPerPeer;
    @Option(names = "--p2p-max-buffered-inbound", paramLabel = "SIZE",
            description = "memory all connections may hold for streams not read yet, e.g. 256MiB (default: 256MiB, at most a quarter of the heap)")
    String maxBufferedInbound;
    @Option(names = "--p2p-max-buffered-inbound-per-connection", paramLabel = "SIZE",
            description = "the same for one connection (default 64MiB)")
    String maxBufferedInboundPerConnection;
    @Option(names = "--p2p-idle-connection-timeout", paramLabel = "DURATION",
            description = "close a connection without streams after this; 0: never (default 2m)")
    String idleConnectionTimeout;

    @Option(names = "--p2p-dcutr", paramLabel = "on|off",
            description = "DCUtR hole punching: a gateway reaching this exposer through a relay and this exposer"
                    + " dial each other at once, and a direct connection replaces the relayed one (default on)")
    String dcutr;
    @Option(names = "--p2p-allow-private-addresses", arity = "0..1", paramLabel = "true|false",
            description = "also send and dial private, CGNAT (100.64/10), loopback and link-local addresses in"
                    + " DCUtR hole punching, for exposer and gateways on private networks (default false: public"
                    + " addresses only)")
    Boolean allowPrivateAddresses;

    /** The config file's {@code "p2p"} object; every field optional. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record FileLimits(Integer maxConnections, Integer maxConnectionsPerIp, Integer maxPendingInbound,
            Integer maxPendingInboundPerIp, Integer maxConnectionsPerPeer, String maxBufferedInbound,
            String maxBufferedInboundPerConnection, String idleConnectionTimeout, String dcutr,
            Boolean allowPrivateAddresses) {
        FileLimits(Integer maxConnections, Integer maxConnectionsPerIp, Integer maxPendingInbound,
                Integer maxPendingInboundPerIp, Integer maxConnectionsPerPeer, String maxBufferedInbound,
                String maxBufferedInboundPerConnection, String idleConnectionTimeout) {
            this(maxConnections, maxConnectionsPerIp, maxPendingInbound, maxPendingInboundPerIp, maxConnectionsPerPeer,
                    maxBufferedInbound, maxBufferedInboundPerConnection, idleConnectionTimeout, null, null);
        }
    }

    /** Options over the file's values over the defaults. @throws CliException naming the option */
    Exposer.HostLimits resolve(FileLimits file) {
        FileLimits f = file != null ? file : new FileLimits(null, null, null, null, null, null, null, null);
        Exposer.HostLimits d = Exposer.HostLimits.defaults();
        Host.Limits h = d.host();
        Host.Limits host = new Host.Limits(
                count("--p2p-max-pending-inbound", first(maxPendingInbound, f.maxPendingInbound()), h.maxPendingInbound()),
                count("--p2p-max-pending-inbound-per-ip", first(maxPendingInboundPerIp, f.maxPendingInboundPerIp()),
                        h.maxPendingInboundPerIp()),
                count("--p2p-max-connections", first(maxConnections, f.maxConnections()), h.maxConnections()),
                count("--p2p-max-connections-per-ip", first(maxConnectionsPerIp, f.maxConnectionsPerIp()),
                        h.maxConnectionsPerIp()),
                count("--p2p-max-connections-per-peer", first(maxConnectionsPerPeer, f.maxConnectionsPerPeer()),
                        h.maxConnectionsPerPeer()),
                size("--p2p-max-buffered-inbound", first(maxBufferedInbound, f.maxBufferedInbound()),
                        h.maxBufferedInbound()));
        return new Exposer.HostLimits(host,
                size("--p2p-max-buffered-inbound-per-connection",
                        first(maxBufferedInboundPerConnection, f.maxBufferedInboundPerConnection()),
                        d.maxBufferedInboundPerConnection()),
                duration("--p2p-idle-connection-timeout", first(idleConnectionTimeout, f.idleConnectionTimeout()),
                        d.idleConnectionTimeout()),
                d.dcutr().withEnabled(onOff("--p2p-dcutr", first(dcutr, f.dcutr()), d.dcutr().enabled()))
                        .withAllowPrivateAddresses(Boolean.TRUE.equals(
                                first(allowPrivateAddresses, f.allowPrivateAddresses()))));
    }

    private static boolean onOff(String what, String value, boolean otherwise) {
        if (value == null) {
            return otherwise;
        }
        return switch (value.trim()) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new CliException(what + " '" + value + "' must be on or off");
        };
    }

    private static <T> T first(T option, T file) {
        return option != null ? option : file;
    }

    private static int count(String what, Integer value, int otherwise) {
        if (value == null) {
            return otherwise;
        }
        if (value < 1 || value > MAX_COUNT) {
            throw new CliException(what + " " + value + " must be between 1 and " + MAX_COUNT);
        }
        return value;
    }

    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})(|B|KiB|MiB|GiB)");

    /** Bytes: {@code 1048576}, {@code 64KiB}, {@code 100MiB}, {@code 2GiB}. */
    static long size(String what, String value, long otherwise) {
        if (value == null) {
            return otherwise;
        }
        Matcher m = SIZE.matcher(value.trim());
        if (!m.matches()) {
            throw new CliException(what + " '" + value + "' is not a size (examples: 65536, 64KiB, 100MiB, 2GiB)");
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2)) {
            case "KiB" -> 10;
            case "MiB" -> 20;
            case "GiB" -> 30;
            default -> 0;
        };
        if (n < 1 || n > (Long.MAX_VALUE >> shift)) {
            throw new CliException(what + " '" + value + "' must be more than zero and less than 8 EiB");
        }
        return n << shift;
    }

    private static Duration duration(String what, String value, Duration otherwise) {
        if (value == null) {
            return otherwise;
        }
        if (value.trim().equals("0")) {
            return Duration.ZERO;
        }
        try {
            Duration d = Durations.parse(value);
            if (d.isNegative()) {
                throw new CliException(what + " '" + value + "' must not be negative");
            }
            return d;
        } catch (picocli.CommandLine.TypeConversionException e) {
            throw new CliException(what + " " + e.getMessage());
        }
    }
}
