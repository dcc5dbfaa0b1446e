package io.ipnslink.core.multiformats;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * A multiaddr in text ({@code /ip4/1.2.3.4/tcp/4001}) and binary form. Immutable, {@code equals}
 * by bytes. Unknown protocols and truncated input give a {@link MultiformatException}.
 */
public final class Multiaddr {
    /** Longest binary multiaddr accepted. */
    public static final int MAX_BYTES = 1024;

    /** The protocols this project understands: code and size in bits (-1 = varint-length, 0 = none). */
    public enum Protocol {
        IP4(4, 32, "ip4"), TCP(6, 16, "tcp"), UDP(273, 16, "udp"),
        DNS(53, -1, "dns"), DNS4(54, -1, "dns4"), DNS6(55, -1, "dns6"), DNSADDR(56, -1, "dnsaddr"),
        IP6(41, 128, "ip6"), P2P(421, -1, "p2p"), P2P_CIRCUIT(290, 0, "p2p-circuit"),
        QUIC_V1(461, 0, "quic-v1"), TLS(448, 0, "tls"), HTTP(480, 0, "http"),
        WS(477, 0, "ws"), WSS(478, 0, "wss");

        private final int code;
        private final int sizeBits;
        private final String textName;

        Protocol(int code, int sizeBits, String textName) {
            this.code = code;
            this.sizeBits = sizeBits;
            this.textName = textName;
        }

        public int code() {
            return code;
        }

        public int sizeBits() {
            return sizeBits;
        }

        public String textName() {
            return textName;
        }
    }

    /** One protocol with its binary value (empty for protocols without one). */
    public record Component(Protocol protocol, byte[] value) {
        /** The value in text form ({@code 1.2.3.4}, {@code 4001}, a base58 peer id, ...). */
        public String valueText() {
            throw new UnsupportedOperationException("TODO");
        }
    }

    private Multiaddr() {
        throw new UnsupportedOperationException("TODO");
    }

    public static Multiaddr parse(String text) {
        throw new UnsupportedOperationException("TODO");
    }

    public static Multiaddr decode(byte[] bytes) {
        throw new UnsupportedOperationException("TODO");
    }

    /** {@code /ip4/../tcp/..} or {@code /ip6/../tcp/..} for a resolved address. */
    public static Multiaddr tcp(InetSocketAddress address) {
        throw new UnsupportedOperationException("TODO");
    }

    public List<Component> components() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Text value of the first component of that protocol. */
    public Optional<String> valueOf(Protocol protocol) {
        throw new UnsupportedOperationException("TODO");
    }

    public boolean has(Protocol protocol) {
        throw new UnsupportedOperationException("TODO");
    }

    /** This address followed by {@code other}. */
    public Multiaddr encapsulate(Multiaddr other) {
        throw new UnsupportedOperationException("TODO");
    }

    /** Everything before the last occurrence of {@code protocol} (this when absent). */
    public Multiaddr decapsulate(Protocol protocol) {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * Host and TCP port for {@code /ip4|ip6|dns|dns4|dns6/../tcp/..} (unresolved for DNS names).
     * Empty for anything else (circuit, udp, ...).
     */
    public Optional<InetSocketAddress> toTcpSocketAddress() {
        throw new UnsupportedOperationException("TODO");
    }

    public byte[] bytes() {
        throw new UnsupportedOperationException("TODO");
    }

    @Override
    public String toString() {
        throw new UnsupportedOperationException("TODO");
    }
}
