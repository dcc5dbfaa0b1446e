package io.ipnslink.filter;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.config.Cidr;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.errors.GatewayErrors;
import io.ipnslink.filter.route.PublicRequest;
import io.ipnslink.filter.route.RequestRouter;
import io.ipnslink.p2p.Host;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /.well-known/ipns-link}: what an exposer publishing to this gateway needs to reserve
 * on it as its relay, as a small JSON document:
 * <pre>{"version":1,"peer":"12D3KooW...","addresses":["/dns4/gw.example/tcp/4001"],"relay":true}</pre>
 * {@code peer}: the gateway's libp2p peer id; {@code addresses}: where its host is dialed (without
 * {@code /p2p}): the {@code announce} key, else {@link #listenAddresses the bound listen addresses}
 * as seen from the client; {@code relay}: whether the relay service runs ({@code relay} key).
 * Readers ignore fields they do not know (a later version may add e.g. reachability).
 * Public information, answered to anyone, under the visitor limits like every other answer.
 */
final class WellKnown {
    /** The document's format version. */
    static final int VERSION = 1;
    /** How long clients may keep the document. */
    static final String CACHE_CONTROL = "private, max-age=60";
    private static final ObjectMapper JSON = io.ipnslink.filter.web.JsonMappers.json();

    private WellKnown() {}

    /** GET and HEAD: the document; any other method: 405 with {@code Allow}. */
    static void answer(Gateway g, HttpServletRequest req, HttpServletResponse resp, PublicRequest pr,
            GatewayErrors.Context ctx) throws IOException {
        String method = req.getMethod();
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            GatewayErrors.write(resp, new GatewayErrors.Answer.Write(new io.ipnslink.filter.pages.Page(405,
                    "Method not allowed", method + " is not allowed on " + RequestRouter.WELL_KNOWN_PATH + ": use GET"),
                    Map.of("Allow", "GET, HEAD", "Cache-Control", "no-store")), ctx);
            return;
        }
        byte[] body = JSON.writeValueAsBytes(document(g.config, g.host, pr));
        resp.setStatus(200);
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", CACHE_CONTROL);
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setContentLength(body.length);
        if ("GET".equals(method)) {
            resp.getOutputStream().write(body);
        }
    }

    /** The document as a JSON-ready map, for the client of {@code pr}. */
    static Map<String, Object> document(GatewayConfig config, Host host, PublicRequest pr) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("peer", host.peerId().toBase58());
        List<Multiaddr> addresses = config.announce().isEmpty()
                ? listenAddresses(host.listenAddresses(), pr) : config.announce();
        m.put("addresses", addresses.stream().map(Multiaddr::toString).toList());
        m.put("relay", config.relay().isPresent() && host.relayService().isPresent());
        return m;
    }

    /**
     * The bound listen addresses as the client of {@code pr} can use them (at most
     * {@link GatewayConfig#MAX_ANNOUNCE}): a wildcard address ({@code 0.0.0.0}, {@code ::}) becomes the
     * host the request was sent to ({@code /dns4/NAME} for a name, the address for a literal of the
     * wildcard's family; else it is left out); loopback addresses and names ({@code localhost}) are
     * told only to clients on loopback, since nobody else can dial them; any other address as bound.
     */
    static List<Multiaddr> listenAddresses(List<Multiaddr> bound, PublicRequest pr) {
        boolean localClient = isLoopback(pr.clientAddress());
        List<Multiaddr> out = new ArrayList<>();
        for (Multiaddr a : bound) {
            Multiaddr told = a;
            Optional<InetSocketAddress> sa = a.toTcpSocketAddress();
            if (sa.isPresent() && !sa.get().isUnresolved()) {
                InetAddress ip = sa.get().getAddress();
                if (ip.isAnyLocalAddress()) {
                    told = requestHost(pr, ip instanceof java.net.Inet6Address, sa.get().getPort(), localClient);
                } else if (ip.isLoopbackAddress() && !localClient) {
                    told = null;
                }
            }
            if (told != null && !out.contains(told) && out.size() < GatewayConfig.MAX_ANNOUNCE) {
                out.add(told);
            }
        }
        return List.copyOf(out);
    }

    /** {@code /dns4|dns6/NAME/tcp/PORT} or {@code /ip4|ip6/LITERAL/tcp/PORT} for the request's host; null when unusable. */
    private static Multiaddr requestHost(PublicRequest pr, boolean ipv6, int port, boolean localClient) {
        if (!PublicRequest.wellFormedHost(pr.host())) {
            return null;
        }
        String name = pr.hostName();
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        Optional<byte[]> literal = Cidr.literal(name);
        try {
            if (literal.isPresent()) {
                InetAddress ip = InetAddress.getByAddress(literal.get());
                if ((ip instanceof java.net.Inet6Address) != ipv6 || ip.isAnyLocalAddress()
                        || (ip.isLoopbackAddress() && !localClient)) {
                    return null;
                }
                return Multiaddr.tcp(new InetSocketAddress(ip, port));
            }
            String lower = name.toLowerCase(Locale.ROOT);
            if (name.isEmpty() || ((lower.equals(RequestRouter.LOCALHOST) || lower.endsWith("." + RequestRouter.LOCALHOST))
                    && !localClient)) {
                return null;
            }
            return Multiaddr.parse("/" + (ipv6 ? "dns6" : "dns4") + "/" + lower + "/tcp/" + port);
        } catch (UnknownHostException | IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean isLoopback(String address) {
        if (address == null) {
            return false;
        }
        return Cidr.literal(address).map(b -> {
            try {
                return InetAddress.getByAddress(b).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }).orElse(false);
    }
}
