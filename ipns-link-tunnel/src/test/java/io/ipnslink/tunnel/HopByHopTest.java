package io.ipnslink.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one hop-by-hop rule both halves of the tunnel use. */
class HopByHopTest {
    @Test
    void connectionTokensAreTrimmedLowerCasedAndEmptyOnesSkipped() {
        assertEquals(Set.of("close", "x-private", "keep-alive"),
                HopByHop.connectionTokens(List.of("close, X-Private", " keep-alive", ",,")));
        assertTrue(HopByHop.connectionTokens(List.of()).isEmpty());
    }

    @Test
    void hopByHopAndConnectionNamedHeadersDoNotCrossButHostAndContentLengthDo() {
        Set<String> named = HopByHop.connectionTokens(List.of("X-Private"));
        assertFalse(HopByHop.crosses("x-private", named));
        for (String name : List.of("Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
                "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade")) {
            assertFalse(HopByHop.crosses(name, Set.of()), name);
        }
        assertTrue(HopByHop.crosses("Host", named));
        assertTrue(HopByHop.crosses("Content-Length", named));
        assertTrue(HopByHop.crosses("Cookie", named));
    }

    @Test
    void stripTakesOutTheSameHeadersInPlace() {
        HttpHeaders h = new DefaultHttpHeaders();
        h.add("Connection", "close, X-Private");
        h.add("X-Private", "secret");
        h.add("Transfer-Encoding", "chunked");
        h.add("Keep-Alive", "timeout=5");
        h.add("Content-Length", "3");
        h.add("Via", "1.0 other");
        HopByHop.strip(h);
        assertEquals(Set.of("Content-Length", "Via"), h.names());
    }

    @Test
    void viaIsAppendedToAPriorValue() {
        assertEquals(HopByHop.VIA_EXPOSER, HopByHop.appendVia(null, HopByHop.VIA_EXPOSER));
        assertEquals(HopByHop.VIA_GATEWAY, HopByHop.appendVia(" ", HopByHop.VIA_GATEWAY));
        assertEquals("1.0 other, 1.1 ipns-link", HopByHop.appendVia("1.0 other", HopByHop.VIA_GATEWAY));
    }

    @Test
    void anUpgradeRequestNeedsBothConnectionUpgradeAndAnUpgradeHeader() {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ws");
        r.headers().set("Upgrade", "websocket");
        assertFalse(HopByHop.isUpgradeRequest(r));
        r.headers().set("Connection", "keep-alive, Upgrade");
        assertTrue(HopByHop.isUpgradeRequest(r));
        r.headers().set("Upgrade", "");
        assertFalse(HopByHop.isUpgradeRequest(r));
    }
}
