package io.ipnslink.filter.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.filter.pages.Page;
import io.ipnslink.filter.pages.Pages;
import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.errors.ResolveException;
import io.ipnslink.filter.testing.ProxyFailures;
import io.ipnslink.filter.testing.Sites;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GatewayErrorsTest {
    static GatewayErrors.Context ctx(String onfail, String base) {
        Manifest m = Sites.deadManifest(onfail, false);
        return new GatewayErrors.Context("gw1", "text/html", m, base);
    }

    static int status(Throwable t) {
        GatewayErrors.Answer a = GatewayErrors.answer(t, ctx(null, ""));
        return assertInstanceOf(GatewayErrors.Answer.Write.class, a).page().status();
    }

    @ParameterizedTest
    @CsvSource({
        "ORIGIN_TIMEOUT, 504",
        "REQUEST_TOO_LARGE, 413",
        "ADDRESS_NOT_ALLOWED, 502",
        "STREAM_RESET, 502",
        "BAD_RESPONSE, 502",
        "ORIGIN_FAILED, 502",
        "ORIGIN_UNREACHABLE, 504",
    })
    void proxyFailuresMapToOneStatusEach(ProxyException.Kind kind, int status) {
        assertEquals(status, status(ProxyFailures.of(kind, false)));
    }

    @Test
    void resolveFailures() {
        assertEquals(404, status(new ResolveException(ResolveException.Kind.NOT_FOUND, null, "no record for k51", null)));
        assertEquals(404, status(new ResolveException(ResolveException.Kind.NO_DNSLINK, null, "none", null)));
        assertEquals(502, status(new ResolveException(ResolveException.Kind.INVALID_RECORD, null, "bad sig", null)));
        assertEquals(502, status(new ResolveException(ResolveException.Kind.ROUTING_FAILED, null, "down", null)));
        assertEquals(502, status(new SiteException(SiteException.Kind.NO_MANIFEST, null, "none")));
        assertEquals(504, status(new java.util.concurrent.CompletionException(new java.util.concurrent.TimeoutException())));
        assertEquals(500, status(new IllegalStateException("bug")));
    }

    @Test
    void routingAndRecordFailurePagesGiveAShortReasonNotTheInternalText() {
        String internal = "http://routing.internal.example:8080/routing/v1/ipns/k51: java.net.ConnectException: "
                + "Connection refused to 10.1.2.3";
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                GatewayErrors.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        ch.qos.logback.classic.Level level = log.getLevel();
        log.setLevel(ch.qos.logback.classic.Level.INFO);
        log.addAppender(logged);
        try {
            checkShortReasons(internal);
        } finally {
            log.detachAppender(logged);
            log.setLevel(level);
        }
        assertEquals(3, logged.list.size(), "each failure's whole text is logged");
        for (ch.qos.logback.classic.spi.ILoggingEvent e : logged.list) {
            assertTrue(e.getFormattedMessage().startsWith("[gw1] ") && e.getFormattedMessage().contains(internal),
                    e.getFormattedMessage());
        }
    }

    private static void checkShortReasons(String internal) {
        for (ResolveException e : java.util.List.of(
                new ResolveException(ResolveException.Kind.ROUTING_FAILED, null, "no routing endpoint answered: " + internal,
                        new java.net.ConnectException("Connection refused to 10.1.2.3")),
                new ResolveException(ResolveException.Kind.INVALID_RECORD, null, "invalid record: " + internal, null))) {
            GatewayErrors.Answer a = GatewayErrors.answer(e, ctx(null, ""));
            Page page = assertInstanceOf(GatewayErrors.Answer.Write.class, a).page();
            assertEquals(502, page.status());
            for (String text : java.util.List.of(page.message(), Pages.html(page, "gw1"), Pages.text(page))) {
                assertTrue(!text.contains("internal.example") && !text.contains("10.1.2.3")
                        && !text.contains("Exception"), text);
            }
            assertTrue(Pages.html(page, "gw1").contains("gw1"), "the request id names the log entry");
        }
        // the validator's own reason is about the record's bytes: it stays, the endpoint's address goes
        io.ipnslink.core.ipns.IpnsRecordException validator = new io.ipnslink.core.ipns.IpnsRecordException(
                io.ipnslink.core.ipns.IpnsRecordException.Reason.values()[0], "the signature does not verify");
        ResolveException invalid = new ResolveException(ResolveException.Kind.INVALID_RECORD, null,
                "invalid record: " + internal, new RuntimeException(internal, validator));
        Page page = assertInstanceOf(GatewayErrors.Answer.Write.class, GatewayErrors.answer(invalid, ctx(null, "")))
                .page();
        assertTrue(page.message().contains("the signature does not verify") && !page.message().contains("internal"),
                page.message());
    }

    @Test
    void committedFailuresAndGoneClientsGetNothingMore() {
        assertInstanceOf(GatewayErrors.Answer.Nothing.class,
                GatewayErrors.answer(ProxyFailures.of(ProxyException.Kind.STREAM_RESET, true), ctx(null, "")));
        assertInstanceOf(GatewayErrors.Answer.Nothing.class,
                GatewayErrors.answer(ProxyFailures.of(ProxyException.Kind.CLIENT_GONE, false), ctx(null, "")));
    }

    @Test
    void unreachableOriginsAndOfflineSitesGoToOnfail() {
        ProxyException down = ProxyFailures.of(ProxyException.Kind.ORIGIN_UNREACHABLE, false);
        assertEquals(new GatewayErrors.Answer.Redirect(307, "https://status.example/down"),
                GatewayErrors.answer(new CompletionException(down), ctx("https://status.example/down", "")));
        assertEquals(new GatewayErrors.Answer.Redirect(307, "/app/ipfs/bafkqaaa/"),
                GatewayErrors.answer(down, ctx("/ipfs/bafkqaaa/", "/app")));
        assertEquals(new GatewayErrors.Answer.Redirect(307, "http://localhost:8080/ipns/k51x/"),
                GatewayErrors.answer(new SiteException(SiteException.Kind.OFFLINE, null, "off"),
                        ctx("/ipns/k51x/", "http://localhost:8080")));
        GatewayErrors.Answer.Write soon = assertInstanceOf(GatewayErrors.Answer.Write.class,
                GatewayErrors.answer(down, ctx(null, "")));
        assertEquals(504, soon.page().status());
        assertEquals(Integer.toString(GatewayErrors.RETRY_AFTER_SECONDS), soon.headers().get("Retry-After"));
    }

    @Test
    void pagesAreHtmlForBrowsersTextOtherwiseAndEscaped() {
        Page p = new Page(404, "Name not found", "no record for <script>");
        String html = Pages.html(p, "gw1");
        assertTrue(html.contains("&lt;script&gt;") && !html.contains("<script>"), html);
        assertTrue(!html.contains("http://") && !html.contains("https://"), "no external assets");
        assertEquals("404 Name not found\nno record for <script>\n", Pages.text(p));
        assertTrue(Pages.wantsHtml("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"));
        assertTrue(!Pages.wantsHtml("*/*"));
        assertTrue(!Pages.wantsHtml(null));
    }
}
