package io.ipnslink.filter.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Routing of immutable IPFS paths: path form, subdomain form, redirects to the subdomain form, redirect mode. */
class IpfsRouteTest {
    static final String V0 = "QmYP91UoHq2ppvEvWQ8JyqtXmGdNGGPzr9UvSu1HDHq7L6";

    @Test
    void pathFormOnOtherHostsIsServedInPlace() {
        Route.Ipfs r = assertInstanceOf(Route.Ipfs.class,
                RequestRouterTest.route("127.0.0.1:8080", "/ipfs/" + V0 + "/a/b%20c", "x=1"));
        assertEquals(V0, r.cid());
        assertEquals("/a/b%20c", r.path());
        assertEquals("x=1", r.query());
        assertEquals("/ipfs/" + V0, r.basePath());
        assertEquals("", assertInstanceOf(Route.Ipfs.class,
                RequestRouterTest.route("127.0.0.1", "/ipfs/bafkqaaa", null)).path());
        assertEquals(400, assertInstanceOf(Route.Invalid.class, RequestRouterTest.route("127.0.0.1", "/ipfs/", null))
                .status());
    }

    @Test
    void aGatewayHostSendsDeserializedAnswersToTheSubdomainFormAndKeepsVerifiableOnes() {
        Route red = RequestRouterTest.route("gw.example:8080", "/ipfs/" + V0 + "/a", "q=1");
        Route.Redirect r = assertInstanceOf(Route.Redirect.class, red);
        assertEquals(301, r.status());
        assertTrue(r.location().startsWith("http://bafybei"), r.location());
        assertTrue(r.location().endsWith(".ipfs.gw.example:8080/a?q=1"), r.location());
        assertInstanceOf(Route.Ipfs.class, RequestRouterTest.route("gw.example", "/ipfs/" + V0, "format=raw"));
        assertInstanceOf(Route.Ipfs.class, RequestRouterTest.router().route(new PublicRequest("http", "gw.example",
                "127.0.0.1", "", "/ipfs/" + V0, null, "application/vnd.ipld.car")));
    }

    @Test
    void subdomainForm() {
        Route.Ipfs r = assertInstanceOf(Route.Ipfs.class,
                RequestRouterTest.route("bafkqaaa.ipfs.localhost:8080", "/x/y", null));
        assertEquals("bafkqaaa", r.cid());
        assertEquals("/x/y", r.path());
        assertTrue(r.subdomain());
        assertEquals("", r.basePath());
    }

    @Test
    void redirectModeLeavesIpfsToTheGatewayBehind() {
        assertInstanceOf(Route.Pass.class, RequestRouterTest.router("mode", "redirect",
                "redirect-gateway", "https://gw.example").route(RequestRouterTest.req("127.0.0.1", "/ipfs/bafkqaaa", null)));
    }
}
