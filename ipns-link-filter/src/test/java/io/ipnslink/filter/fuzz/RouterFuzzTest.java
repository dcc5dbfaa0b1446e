package io.ipnslink.filter.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.route.DnsLinkLabels;
import io.ipnslink.filter.route.NameRef;
import io.ipnslink.filter.route.PublicRequest;
import io.ipnslink.filter.route.RequestRouter;
import io.ipnslink.filter.route.Route;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Fuzz target for the gateway's URL router, what any visitor reaches first: a request (Host, target,
 * query, Accept, and from a trusted proxy {@code X-Forwarded-Host}/{@code -Proto}) through
 * {@link PublicRequest#from} (a plain fake of the servlet request) to {@link RequestRouter#route},
 * under one of three configurations (subdomain gateway with a trusted proxy, path form only, redirect
 * mode) and with or without a context path.
 *
 * <p>The container (or the trusted proxy) has checked the request line and Host before the filter
 * sees them: inputs whose Host is not a host name or IP literal with an optional port, or whose
 * target or query holds a byte a request line cannot, are not routed (Host checking by the filter
 * itself is the header hardening's part, not this target's).
 *
 * <p>Contract: {@code route} never throws and is pure (the same answer twice); a redirect is a 3xx
 * whose location holds no control character and is either an absolute path (not {@code //}) or an
 * {@code http(s)} URL with a host and no user info (the rest of it is the visitor's target, kept as
 * it came); a redirect followed once does not lead to
 * itself; a refusal is a 4xx with a bounded message; a site has an origin-form target and a base
 * path ending in {@code /}, a key that is its own canonical text or a lower-case DNSLink domain
 * whose inlined label reads back to it; the routing API only under its prefix.
 */
class RouterFuzzTest {
    private static final List<GatewayConfig> CONFIGS = List.of(
            config(Map.of("gateway-hosts", "gw.example,localhost", "trusted-proxies", "10.0.0.1")),
            config(Map.of("gateway-hosts", "")),
            config(Map.of("mode", "redirect", "redirect-gateway", "https://gw.example", "trusted-proxies", "10.0.0.1")));
    private static final List<RequestRouter> ROUTERS = CONFIGS.stream().map(RequestRouter::new).toList();
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    /** Host header a container lets through: a name or IP literal, an optional port. */
    private static final Pattern HOST = Pattern.compile(
            "([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\\.?|\\[[0-9a-f:.]+\\])(:[0-9]{1,5})?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private static GatewayConfig config(Map<String, String> params) {
        return GatewayConfig.load(List.of(ConfigSource.initParams(params::get)), Path.of("fuzz"));
    }

    /** The input: a flags byte, then lines (Host, target, query, Accept, X-Forwarded-Host, X-Forwarded-Proto). */
    private record Input(int flags, List<String> lines) {
        static Input of(byte[] data) {
            List<String> lines = new ArrayList<>();
            String text = new String(data, 1, data.length - 1, StandardCharsets.ISO_8859_1);
            for (String l : text.split("\n", -1)) {
                lines.add(l);
            }
            while (lines.size() < 6) {
                lines.add("");
            }
            return new Input(data[0] & 0xff, lines);
        }

        String line(int i) {
            String s = lines.get(i);
            return s.isEmpty() ? null : s;
        }
    }

    @FuzzTest(maxDuration = "10m")
    void route(byte[] data) {
        if (data.length > 0) {
            routeChecked(data);
        }
    }

    /**
     * The seeds (not the regression inputs kept from fuzzing, {@code crash-*}) are routed (not
     * refused as the container would) and reach every kind of route.
     */
    @org.junit.jupiter.api.Test
    void seedsReachEveryKindOfRoute() throws Exception {
        Set<String> kinds = new java.util.TreeSet<>();
        java.net.URL dir = RouterFuzzTest.class.getResource("RouterFuzzTestInputs/route");
        try (var files = java.nio.file.Files.list(Path.of(dir.toURI()))) {
            for (Path f : files.filter(f -> !f.getFileName().toString().startsWith("crash-")).toList()) {
                Route r = routeChecked(java.nio.file.Files.readAllBytes(f));
                assertNotNull(r, () -> f.getFileName() + " was not routed");
                kinds.add(r.getClass().getSimpleName());
            }
        }
        assertEquals(Set.of("Invalid", "Pass", "RawRecord", "Redirect", "RoutingApi", "Site"), kinds);
    }

    /** Routes and checks one input; null when the container would have refused it. */
    private static Route routeChecked(byte[] data) {
        Input in = Input.of(data);
        int which = (in.flags & 3) % CONFIGS.size();
        RequestRouter router = ROUTERS.get(which);
        String remote = (in.flags & 4) != 0 ? "10.0.0.1" : "203.0.113.5";
        String scheme = (in.flags & 8) != 0 ? "https" : "http";
        String context = (in.flags & 16) != 0 ? "/app" : "";
        String host = in.line(0) == null ? "gw.example" : in.line(0);
        String target = in.line(1) == null ? "/" : in.line(1);
        String query = in.line(2);
        String fwdHost = in.line(4);
        if (!HOST.matcher(host).matches() || (fwdHost != null && !HOST.matcher(fwdHost).matches())
                || !requestLine(target) || !target.startsWith("/") || (query != null && !requestLine(query))) {
            return null; // the container refuses it before any filter
        }
        if (!context.isEmpty()) {
            target = context + target;
        }
        HttpServletRequest request = request(remote, scheme, host, target, query, in.line(3), fwdHost, in.line(5),
                context);
        PublicRequest pr = PublicRequest.from(request, CONFIGS.get(which));
        Route r = router.route(pr);
        assertEquals(r, router.route(pr), "the router is pure");
        check(router, pr, r, 0);
        return r;
    }

    /**
     * Whether a container takes {@code s} in a request target: visible ASCII without the characters
     * RFC 3986 does not allow there ({@code " # < > \ ^ `} and braces, bar), which Tomcat refuses
     * by default (its {@code relaxedPathChars}/{@code relaxedQueryChars} are empty).
     */
    private static boolean requestLine(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f || "\"#<>\\^`{|}".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static void check(RequestRouter router, PublicRequest pr, Route r, int depth) {
        assertNotNull(r);
        if (r instanceof Route.Redirect red) {
            assertTrue(REDIRECTS.contains(red.status()), () -> "redirect status " + red.status());
            String loc = red.location();
            for (int i = 0; i < loc.length(); i++) {
                char c = loc.charAt(i);
                assertFalse(c < 0x20 || c == 0x7f, () -> "control character in " + loc);
            }
            if (loc.startsWith("/")) {
                assertFalse(loc.startsWith("//"), () -> "scheme-relative location " + loc);
                if (depth == 0) {
                    Route next = router.route(follow(pr, pr.host(), pr.scheme(), loc));
                    assertNotEquals(r, next, () -> "redirect loop at " + loc);
                    check(router, pr, next, 1);
                }
            } else {
                // scheme and authority are the gateway's; the rest is the visitor's target as it came
                // (a proxy keeps it as it is, invalid percent escapes included)
                int sep = loc.indexOf("://");
                assertTrue(sep > 0, () -> "location " + loc);
                String scheme = loc.substring(0, sep);
                assertTrue("http".equals(scheme) || "https".equals(scheme), () -> "location " + loc);
                int end = sep + 3;
                while (end < loc.length() && "/?#".indexOf(loc.charAt(end)) < 0) {
                    end++;
                }
                String authority = loc.substring(sep + 3, end);
                assertFalse(authority.contains("@"), () -> "location with user info: " + loc);
                URI u;
                try {
                    u = new URI(scheme + "://" + authority + "/");
                } catch (URISyntaxException e) {
                    throw new AssertionError("location's authority is not a URI authority: " + loc, e);
                }
                assertNotNull(u.getHost(), () -> "location without a host: " + loc);
                if (depth == 0) {
                    String rest = loc.substring(end);
                    PublicRequest again = follow(pr, authority.toLowerCase(Locale.ROOT), scheme,
                            rest.isEmpty() ? "/" : rest);
                    Route next = router.route(again);
                    assertNotEquals(r, next, () -> "redirect loop at " + loc);
                }
            }
        } else if (r instanceof Route.Invalid inv) {
            assertTrue(inv.status() >= 400 && inv.status() < 500, () -> "refusal status " + inv.status());
            assertNotNull(inv.message());
            int inputLength = pr.host().length() + pr.path().length() + (pr.query() == null ? 0 : pr.query().length());
            assertTrue(inv.message().length() <= 2 * inputLength + 512, () -> "a refusal of "
                    + inv.message().length() + " characters");
        } else if (r instanceof Route.Site s) {
            assertTrue(s.pathAndQuery().startsWith("/"), () -> "site target " + s.pathAndQuery());
            assertTrue(s.publicBasePath().startsWith("/") && s.publicBasePath().endsWith("/"),
                    () -> "base path " + s.publicBasePath());
            if (s.name() instanceof NameRef.Key k) {
                assertEquals(k.name(), IpnsName.parse(k.name().toString()));
            } else if (s.name() instanceof NameRef.DnsLink d) {
                String domain = d.domain();
                assertEquals(domain.toLowerCase(Locale.ROOT), domain);
                assertTrue(DOMAIN.matcher(domain).matches(), () -> "DNSLink domain " + domain);
                assertEquals(domain, DnsLinkLabels.uninline(DnsLinkLabels.inline(domain)), "inlined label round trip");
            }
            if (s.subdomain()) {
                assertNotNull(s.gatewayHost());
            }
        } else if (r instanceof Route.RoutingApi api) {
            assertTrue(pr.path().startsWith("/routing/v1"), () -> "routing API for " + pr.path());
            assertNotNull(api.pathInfo());
        } else if (r instanceof Route.RawRecord raw) {
            assertNotNull(raw.name());
        }
    }

    /** The request a browser makes for a location (same client, no forwarding). */
    private static PublicRequest follow(PublicRequest pr, String host, String scheme, String location) {
        int q = location.indexOf('?');
        String target = q < 0 ? location : location.substring(0, q);
        String query = q < 0 ? null : location.substring(q + 1);
        String ctx = pr.contextPath();
        String path = target.startsWith(ctx) ? target.substring(ctx.length()) : target;
        return new PublicRequest(scheme, host, pr.clientAddress(), ctx, path.isEmpty() ? "/" : path, query, pr.accept());
    }

    private static HttpServletRequest request(String remote, String scheme, String host, String uri, String query,
            String accept, String fwdHost, String fwdProto, String context) {
        return (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (p, m, args) -> switch (m.getName()) {
                    case "getRemoteAddr" -> remote;
                    case "getScheme" -> scheme;
                    case "getServerName" -> "127.0.0.1";
                    case "getLocalAddr" -> "127.0.0.1";
                    case "getServerPort" -> 8080;
                    case "getContextPath" -> context;
                    case "getRequestURI" -> uri;
                    case "getQueryString" -> query;
                    case "getHeader" -> switch (((String) args[0]).toLowerCase(Locale.ROOT)) {
                        case "host" -> host;
                        case "accept" -> accept;
                        case "x-forwarded-host" -> fwdHost;
                        case "x-forwarded-proto" -> fwdProto;
                        default -> null;
                    };
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == args[0];
                    case "toString" -> "fuzz request " + uri;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }
}
