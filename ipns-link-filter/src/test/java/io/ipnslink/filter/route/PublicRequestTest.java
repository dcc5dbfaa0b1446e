package io.ipnslink.filter.route;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.GatewayConfig;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PublicRequestTest {
    static final GatewayConfig BEHIND_PROXY = GatewayConfig.load(List.of(ConfigSource.initParams(
            Map.of("trusted-proxies", "10.0.0.0/8")::get)), Path.of("/tmp"));

    static HttpServletRequest request(String remote, Map<String, String> headers) {
        return (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (p, m, args) -> switch (m.getName()) {
                    case "getRemoteAddr" -> remote;
                    case "getLocalAddr" -> "10.0.0.1";
                    case "getScheme" -> "http";
                    case "getHeader" -> headers.get((String) args[0]);
                    case "getContextPath" -> "";
                    case "getRequestURI" -> "/ipns/x/";
                    case "getQueryString", "getServerName" -> null;
                    case "getServerPort" -> 80;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void aTrustedProxysForwardedHostCountsOnlyWhenItIsAHost() {
        assertEquals("gw.example:8443", PublicRequest.from(request("10.0.0.2",
                Map.of("Host", "10.0.0.1", "X-Forwarded-Host", "GW.example:8443")), BEHIND_PROXY).host());
        for (String bad : List.of("gw.example\";for=6.6.6.6", "gw.example:80:80", "gw.example:http", "a b",
                "gw..example", "x".repeat(400))) {
            assertEquals("10.0.0.1", PublicRequest.from(request("10.0.0.2",
                    Map.of("Host", "10.0.0.1", "X-Forwarded-Host", bad)), BEHIND_PROXY).host(), bad);
        }
        assertEquals("10.0.0.1", PublicRequest.from(request("192.0.2.7",
                Map.of("Host", "10.0.0.1", "X-Forwarded-Host", "gw.example")), BEHIND_PROXY).host(), "not a trusted proxy");
        assertEquals("10.0.0.1", PublicRequest.from(request("192.0.2.7", Map.of("Host", "10.0.0.1")), BEHIND_PROXY)
                .serverAddress());
    }
}
