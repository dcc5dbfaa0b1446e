package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.filter.testing.Sites;
import io.netty.handler.codec.http.HttpRequest;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The first steps of a proxied exchange, each by its name: the site's request as it leaves the gateway. */
class GatewayExchangeStepsTest {
    private static final Sites.Site SITE = Sites.Site.generate();
    private static final ProxyConfig CONFIG = new ProxyConfig(Duration.ofSeconds(1), Duration.ofSeconds(1),
            Duration.ofSeconds(1), 1024, 4, true, 4);

    /** A visitor's request with these headers (in this order), behind a fake async context. */
    private static GatewayExchange exchange(String method, Map<String, List<String>> headers) {
        HttpServletRequest request = (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (p, m, args) -> switch (m.getName()) {
                    case "getMethod" -> method;
                    case "getContentLengthLong" -> headers.containsKey("Content-Length")
                            ? Long.parseLong(headers.get("Content-Length").get(0)) : -1L;
                    case "getHeaderNames" -> Collections.enumeration(headers.keySet());
                    case "getHeaders" -> Collections.enumeration(headers.entrySet().stream()
                            .filter(e -> e.getKey().equalsIgnoreCase((String) args[0]))
                            .flatMap(e -> e.getValue().stream()).toList());
                    case "getAttribute" -> null; // no request meter
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        HttpServletResponse response = (HttpServletResponse) Proxy.newProxyInstance(
                HttpServletResponse.class.getClassLoader(), new Class<?>[] {HttpServletResponse.class}, (p, m, args) -> {
                    throw new UnsupportedOperationException(m.getName());
                });
        AsyncContext async = (AsyncContext) Proxy.newProxyInstance(AsyncContext.class.getClassLoader(),
                new Class<?>[] {AsyncContext.class}, (p, m, args) -> switch (m.getName()) {
                    case "getRequest" -> request;
                    case "getResponse" -> response;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        ProxyTarget target = new ProxyTarget(SITE.name(), Sites.manifest(PrivKey.generateEd25519().peerId(), List.of(),
                null, false), "/a/b?c=1", "/ipns/" + SITE.name() + "/", "https", "gw.example", "203.0.113.9", "r1");
        return new GatewayExchange(async, target, CONFIG, UpgradeStep.NONE, new CompletableFuture<>());
    }

    @Test
    void rewriteTargetKeepsTheMethodAndTakesTheSitesOriginFormTarget() {
        HttpRequest head = exchange("PUT", Map.of()).rewriteTarget();
        assertEquals("PUT", head.method().name());
        assertEquals("/a/b?c=1", head.uri());
        assertEquals("HTTP/1.1", head.protocolVersion().text());
    }

    @Test
    void copyRequestHeadersLeavesHopByHopConnectionNamedAndReframedHeadersBehind() {
        Map<String, List<String>> h = new LinkedHashMap<>();
        h.put("Host", List.of("gw.example"));
        h.put("Content-Length", List.of("3"));
        h.put("Connection", List.of("keep-alive, X-Private"));
        h.put("X-Private", List.of("secret"));
        h.put("Transfer-Encoding", List.of("chunked"));
        h.put("Upgrade", List.of("websocket"));
        h.put("Accept", List.of("text/html", "*/*"));
        h.put("Cookie", List.of("a=b"));
        h.put("X-Forwarded-For", List.of("198.51.100.66"));
        h.put("Forwarded", List.of("for=198.51.100.66"));
        GatewayExchange ex = exchange("POST", h);
        HttpRequest head = ex.rewriteTarget();
        ex.copyRequestHeaders(head);
        assertEquals(List.of("text/html", "*/*"), head.headers().getAll("Accept"));
        assertEquals("a=b", head.headers().get("Cookie"));
        for (String gone : List.of("Host", "Content-Length", "Connection", "X-Private", "Transfer-Encoding", "Upgrade",
                "X-Forwarded-For", "Forwarded")) {
            assertFalse(head.headers().contains(gone), gone);
        }
    }

    @Test
    void addProxyHeadersSetsTheSitesHostForwardingHeadersAndVia() {
        GatewayExchange ex = exchange("GET", Map.of("Host", List.of("gw.example")));
        HttpRequest head = ex.rewriteTarget();
        ex.copyRequestHeaders(head);
        ex.addProxyHeaders(head);
        assertEquals(SITE.name().toString(), head.headers().get("Host"), "no manifest host: the name");
        assertEquals("203.0.113.9", head.headers().get("X-Forwarded-For"));
        assertEquals("https", head.headers().get("X-Forwarded-Proto"));
        assertEquals("gw.example", head.headers().get("X-Forwarded-Host"));
        assertEquals(HeaderRules.VIA, head.headers().get("Via"));
        assertNull(head.headers().get("Connection"), "no Connection: close, the stream may be kept");
    }
}
