package io.ipnslink.core.multiformats;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A multiaddr in text ({@code /ip4/1.2.3.4/tcp/4001}) and binary form. Immutable, {@code equals}
 * by bytes. Unknown protocols and truncated input give a {@link MultiformatException}.
 *
 * <p>Binary form: per component a varint protocol code, then the value: fixed size for ip4 (4),
 * ip6 (16), tcp/udp (2, big-endian port), varint length + bytes for dns* and p2p, nothing for
 * the rest. p2p values are peer-id multihashes, printed in base58btc; a CIDv1 with codec
 * libp2p-key is accepted in text too.
 */
public final class Multiaddr {
    /** Longest binary multiaddr accepted. */
    public static final int MAX_BYTES = 1024;
    /** Longest text multiaddr accepted, in characters. */
    public static final int MAX_TEXT_CHARS = 4 * MAX_BYTES;
    /** Longest DNS name accepted in dns, dns4, dns6 and dnsaddr components, in bytes. */
    public static final int MAX_DNS_NAME_BYTES = 255;

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

        /** True when the protocol carries a value (ip4, tcp, dns, p2p, ...). */
        public boolean hasValue() {
            return sizeBits != 0;
        }

        /** By text name; {@code ipfs} is accepted as the old name of {@code p2p}. */
        public static Protocol forName(String name) {
            for (Protocol p : values()) {
                if (p.textName.equals(name)) {
                    return p;
                }
            }
            if ("ipfs".equals(name)) {
                return P2P;
            }
            throw new MultiformatException("unknown multiaddr protocol '" + printable(name) + "'");
        }

        /** By binary code. */
        public static Protocol forCode(long code) {
            for (Protocol p : values()) {
                if (p.code == code) {
                    return p;
                }
            }
            throw new MultiformatException("unknown multiaddr protocol code " + code
                    + " (0x" + Long.toHexString(code) + ")");
        }
    }

    /** One protocol with its binary value (empty for protocols without one). */
    public record Component(Protocol protocol, byte[] value) {
        /** Checks the value's size against the protocol and copies it. */
        public Component {
            if (protocol == null) {
                throw new NullPointerException("protocol");
            }
            value = value == null ? new byte[0] : value.clone();
            validateValue(protocol, value);
        }

        /** A component from the text form of its value ({@code null} for protocols without one). */
        public static Component parse(Protocol protocol, String valueText) {
            return new Component(protocol, valueFromText(protocol, valueText));
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        /** The value in text form ({@code 1.2.3.4}, {@code 4001}, a base58 peer id, ...). */
        public String valueText() {
            switch (protocol) {
                case IP4: return IpAddresses.formatIp4(value);
                case IP6: return IpAddresses.formatIp6(value);
                case TCP:
                case UDP:
                    return Integer.toString(port(value));
                case DNS:
                case DNS4:
                case DNS6:
                case DNSADDR:
                    return new String(value, StandardCharsets.UTF_8);
                case P2P: return Multibase.encodeBase58(value);
                default: return "";
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Component c && c.protocol == protocol && Arrays.equals(c.value, value);
        }

        @Override
        public int hashCode() {
            return protocol.hashCode() * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return protocol.hasValue() ? "/" + protocol.textName + "/" + valueText() : "/" + protocol.textName;
        }
    }

    private final List<Component> components;
    private final byte[] bytes;

    private Multiaddr(List<Component> components) {
        this.components = Collections.unmodifiableList(new ArrayList<>(components));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Component c : this.components) {
            Varint.write(c.protocol.code, out);
            byte[] v = c.value;
            if (c.protocol.sizeBits < 0) {
                Varint.write(v.length, out);
            }
            out.write(v, 0, v.length);
        }
        this.bytes = out.toByteArray();
        if (bytes.length > MAX_BYTES) {
            throw new MultiformatException("multiaddr of " + bytes.length + " bytes exceeds the limit of " + MAX_BYTES);
        }
    }

    /** From components, in order. An empty list gives the empty multiaddr. */
    public static Multiaddr of(List<Component> components) {
        return new Multiaddr(components);
    }

    public static Multiaddr parse(String text) {
        if (text == null) {
            throw new NullPointerException("text");
        }
        if (text.length() > MAX_TEXT_CHARS) {
            throw new MultiformatException("multiaddr text too long: " + text.length()
                    + " characters, limit " + MAX_TEXT_CHARS);
        }
        if (text.isEmpty() || text.charAt(0) != '/') {
            throw new MultiformatException("multiaddr must start with '/': '" + printable(text) + "'");
        }
        String body = text.length() > 1 && text.endsWith("/") ? text.substring(1, text.length() - 1) : text.substring(1);
        if (body.isEmpty()) {
            throw new MultiformatException("empty multiaddr '" + text + "'");
        }
        String[] parts = body.split("/", -1);
        List<Component> list = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            String name = parts[i];
            if (name.isEmpty()) {
                throw new MultiformatException("empty protocol name in multiaddr '" + printable(text) + "'");
            }
            Protocol p = Protocol.forName(name);
            String value = null;
            if (p.hasValue()) {
                if (i + 1 >= parts.length) {
                    throw new MultiformatException("multiaddr protocol '" + name + "' needs a value: '"
                            + printable(text) + "'");
                }
                value = parts[++i];
            }
            try {
                list.add(Component.parse(p, value));
            } catch (MultiformatException e) {
                throw new MultiformatException("invalid multiaddr '" + printable(text) + "': " + e.getMessage(), e);
            }
        }
        return new Multiaddr(list);
    }

    public static Multiaddr decode(byte[] bytes) {
        if (bytes == null) {
            throw new NullPointerException("bytes");
        }
        if (bytes.length > MAX_BYTES) {
            throw new MultiformatException("multiaddr of " + bytes.length + " bytes exceeds the limit of " + MAX_BYTES);
        }
        if (bytes.length == 0) {
            throw new MultiformatException("empty multiaddr");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        List<Component> list = new ArrayList<>();
        while (buf.hasRemaining()) {
            int at = buf.position();
            long code = Varint.read(buf);
            Protocol p = Protocol.forCode(code);
            int len;
            if (p.sizeBits < 0) {
                if (!buf.hasRemaining()) {
                    throw new MultiformatException("truncated multiaddr: " + p.textName
                            + " at byte " + at + " has no length");
                }
                len = Varint.readInt(buf, MAX_BYTES, p.textName + " value length");
            } else {
                len = p.sizeBits / 8;
            }
            if (buf.remaining() < len) {
                throw new MultiformatException("truncated multiaddr: " + p.textName + " at byte " + at
                        + " needs " + len + " value byte(s), " + buf.remaining() + " left");
            }
            byte[] value = new byte[len];
            buf.get(value);
            list.add(new Component(p, value));
        }
        return new Multiaddr(list);
    }

    /** {@code /ip4/../tcp/..} or {@code /ip6/../tcp/..} for a resolved address ({@code /dns/..} when unresolved). */
    public static Multiaddr tcp(InetSocketAddress address) {
        List<Component> list = new ArrayList<>(2);
        InetAddress ip = address.getAddress();
        if (ip == null) {
            list.add(Component.parse(Protocol.DNS, address.getHostString()));
        } else if (ip instanceof Inet4Address) {
            list.add(new Component(Protocol.IP4, ip.getAddress()));
        } else {
            list.add(new Component(Protocol.IP6, ip.getAddress()));
        }
        list.add(new Component(Protocol.TCP, portBytes(address.getPort())));
        return new Multiaddr(list);
    }

    /** {@code /p2p/<peer id>} for a peer-id multihash. */
    public static Multiaddr p2p(Multihash peerId) {
        return new Multiaddr(List.of(new Component(Protocol.P2P, peerId.bytes())));
    }

    public List<Component> components() {
        return components;
    }

    /** Text value of the first component of that protocol. */
    public Optional<String> valueOf(Protocol protocol) {
        for (Component c : components) {
            if (c.protocol == protocol) {
                return Optional.of(c.valueText());
            }
        }
        return Optional.empty();
    }

    public boolean has(Protocol protocol) {
        for (Component c : components) {
            if (c.protocol == protocol) {
                return true;
            }
        }
        return false;
    }

    /** The peer-id multihash of the last {@code /p2p} component, if any. */
    public Optional<Multihash> peerIdMultihash() {
        for (int i = components.size() - 1; i >= 0; i--) {
            if (components.get(i).protocol == Protocol.P2P) {
                return Optional.of(Multihash.decode(components.get(i).value));
            }
        }
        return Optional.empty();
    }

    /** This address followed by {@code other}. */
    public Multiaddr encapsulate(Multiaddr other) {
        List<Component> list = new ArrayList<>(components);
        list.addAll(other.components);
        return new Multiaddr(list);
    }

    /** Everything before the last occurrence of {@code protocol} (this when absent). */
    public Multiaddr decapsulate(Protocol protocol) {
        for (int i = components.size() - 1; i >= 0; i--) {
            if (components.get(i).protocol == protocol) {
                return new Multiaddr(components.subList(0, i));
            }
        }
        return this;
    }

    /**
     * Host and TCP port for {@code /ip4|ip6|dns|dns4|dns6/../tcp/..} (unresolved for DNS names),
     * optionally followed by one {@code /p2p/..}. Empty for anything else (circuit, udp, ws, ...).
     */
    public Optional<InetSocketAddress> toTcpSocketAddress() {
        int n = components.size();
        if (n < 2 || n > 3 || components.get(1).protocol != Protocol.TCP
                || (n == 3 && components.get(2).protocol != Protocol.P2P)) {
            return Optional.empty();
        }
        Component host = components.get(0);
        int port = port(components.get(1).value);
        switch (host.protocol) {
            case IP4:
            case IP6:
                try {
                    return Optional.of(new InetSocketAddress(InetAddress.getByAddress(host.value), port));
                } catch (UnknownHostException e) {
                    throw new IllegalStateException("address of illegal length", e); // cannot happen: sizes checked
                }
            case DNS:
            case DNS4:
            case DNS6:
                return Optional.of(InetSocketAddress.createUnresolved(host.valueText(), port));
            default:
                return Optional.empty();
        }
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Component c : components) {
            sb.append(c);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Multiaddr m && Arrays.equals(bytes, m.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    // ---- values ----

    private static byte[] valueFromText(Protocol p, String text) {
        if (!p.hasValue()) {
            if (text != null) {
                throw new MultiformatException(p.textName + " takes no value");
            }
            return new byte[0];
        }
        if (text == null || text.isEmpty()) {
            throw new MultiformatException(p.textName + " needs a value");
        }
        switch (p) {
            case IP4:
                return IpAddresses.parseIp4(text);
            case IP6:
                return IpAddresses.parseIp6(text);
            case TCP:
            case UDP:
                return portBytes(parsePort(p, text));
            case DNS:
            case DNS4:
            case DNS6:
            case DNSADDR:
                if (text.indexOf('/') >= 0) {
                    throw new MultiformatException(p.textName + " name must not contain '/'");
                }
                return text.getBytes(StandardCharsets.UTF_8);
            case P2P:
                return parsePeerId(text);
            default:
                throw new AssertionError(p);
        }
    }

    private static byte[] parsePeerId(String text) {
        char first = text.charAt(0);
        if (first == '1' || first == 'Q') {
            try {
                return Multihash.fromBase58(text).bytes();
            } catch (MultiformatException e) {
                throw new MultiformatException("p2p value '" + printable(text) + "' is not a peer id: " + e.getMessage(), e);
            }
        }
        Cid cid;
        try {
            cid = Cid.parse(text);
        } catch (MultiformatException e) {
            throw new MultiformatException("p2p value '" + printable(text)
                    + "' is neither a base58 peer id nor a CID: " + e.getMessage(), e);
        }
        if (cid.version() != 1 || cid.codec() != Cid.LIBP2P_KEY) {
            throw new MultiformatException("p2p value '" + printable(text)
                    + "' is a CID but not a CIDv1 with codec libp2p-key (0x72)");
        }
        return cid.multihash().bytes();
    }

    private static int parsePort(Protocol p, String text) {
        if (text.length() > 5) {
            throw new MultiformatException(p.textName + " port '" + printable(text) + "' is not a number 0..65535");
        }
        int v = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new MultiformatException(p.textName + " port '" + printable(text) + "' is not a number 0..65535");
            }
            v = v * 10 + (c - '0');
        }
        if (v > 65535) {
            throw new MultiformatException(p.textName + " port " + v + " is out of range 0..65535");
        }
        return v;
    }

    private static void validateValue(Protocol p, byte[] value) {
        if (p.sizeBits >= 0) {
            if (value.length != p.sizeBits / 8) {
                throw new MultiformatException(p.textName + " value must be " + p.sizeBits / 8
                        + " bytes, got " + value.length);
            }
            return;
        }
        switch (p) {
            case DNS:
            case DNS4:
            case DNS6:
            case DNSADDR:
                if (value.length == 0 || value.length > MAX_DNS_NAME_BYTES) {
                    throw new MultiformatException(p.textName + " name must be 1.." + MAX_DNS_NAME_BYTES
                            + " bytes, got " + value.length);
                }
                String name = new String(value, StandardCharsets.UTF_8);
                if (!Arrays.equals(name.getBytes(StandardCharsets.UTF_8), value)) {
                    throw new MultiformatException(p.textName + " name is not valid UTF-8");
                }
                if (name.indexOf('/') >= 0) {
                    throw new MultiformatException(p.textName + " name must not contain '/'");
                }
                break;
            case P2P:
                Multihash peerId;
                try {
                    peerId = Multihash.decode(value);
                } catch (MultiformatException e) {
                    throw new MultiformatException("p2p value is not a multihash: " + e.getMessage(), e);
                }
                // A peer id is an identity or sha2-256 multihash; only those print as base58
                // starting with 1 or Qm, the form the text parser reads as a peer id.
                if (peerId.code() != Multihash.IDENTITY && peerId.code() != Multihash.SHA2_256) {
                    throw new MultiformatException("p2p value is a multihash of code 0x"
                            + Integer.toHexString(peerId.code()) + ", not a peer id (identity or sha2-256)");
                }
                break;
            default:
                throw new AssertionError(p);
        }
    }

    private static int port(byte[] value) {
        return ((value[0] & 0xFF) << 8) | (value[1] & 0xFF);
    }

    private static byte[] portBytes(int port) {
        if (port < 0 || port > 65535) {
            throw new MultiformatException("port " + port + " is out of range 0..65535");
        }
        return new byte[] {(byte) (port >> 8), (byte) port};
    }

    /** Text safe to put in an error message (control characters escaped, length capped). */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (s.length() > 200) {
            sb.append("...");
        }
        return sb.toString();
    }
}
