package io.ipnslink.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.samples.demo.DemoMain;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo's static offload in a real browser (headless Chromium; subdomain form, and path form for the live page): the page's
 * stylesheet from {@code /assets} applies, its SVG image loads, {@code /live.html} shows the
 * livestream's segment number advancing; the origin never sees a request under {@code /assets}
 * or {@code /live} (the gateway serves them from IPFS, blocks by bitswap from the exposer).
 */
@Tag("browser")
class StaticAndLiveBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static HeadlessChromium browser;
    private DemoMain demo;

    @BeforeAll
    static void startBrowser() throws Exception {
        browser = HeadlessChromium.start("ipns-link-static-chromium", WAIT);
    }

    @AfterAll
    static void stopBrowser() throws Exception {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void startDemo() throws Exception {
        demo = DemoMain.start(0);
    }

    @AfterEach
    void stopDemo() {
        if (browser != null) {
            browser.driver().get("about:blank"); // stops the page's polling first
        }
        demo.close();
    }

    @Test
    void stylesheetAndImageFromAssetsApply() {
        WebDriver driver = browser.driver();
        driver.get(demo.subdomainUrl());
        assertEquals("A site behind IPNS-Link", driver.getTitle(), driver.getPageSource());
        // set only by assets/site.css
        waitFor("assets/site.css to apply", () -> "rgb(101, 194, 203)".equals(
                js("return getComputedStyle(document.getElementById('from-ipfs')).borderLeftColor")));
        waitFor("assets/ipfs.svg to load", () -> ((Number) js(
                "const i = document.getElementById('ipfs-logo'); return i.complete ? i.naturalWidth : 0")).intValue() > 0);
        assertEquals(0, demo.originOffloadedRequests(), "the origin must see no request under /assets or /live");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"subdomain", "path"})
    void livePageShowsTheSegmentNumberAdvancing(String form) {
        // in path form the page is sandboxed (an opaque origin): its fetch of the playlist is a
        // cross-origin request, which the static answers allow (Access-Control-Allow-Origin: *)
        String base = form.equals("path") ? demo.pathUrl() : demo.subdomainUrl();
        WebDriver driver = browser.driver();
        driver.get(base + "live.html");
        waitFor("the first segment on the live page", () -> segment() >= 0);
        long first = segment();
        waitFor("a segment after " + first + " on the live page", () -> segment() > first);
        waitFor("the segment's frame to load", () -> ((Number) js(
                "const i = document.getElementById('live-frame'); return i.complete ? i.naturalWidth : 0")).intValue() > 0);
        String src = (String) js("return document.getElementById('live-frame').src");
        assertTrue(src.startsWith(base + "live/seg-"), src);
        assertEquals(0, demo.originOffloadedRequests(), "the origin must see no request under /assets or /live");
    }

    private long segment() {
        String t = browser.driver().findElement(By.id("segment")).getText().trim();
        return t.matches("\\d+") ? Long.parseLong(t) : -1;
    }

    private Object js(String script) {
        return ((JavascriptExecutor) browser.driver()).executeScript(script);
    }

    private void waitFor(String what, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(browser.driver(), WAIT).withMessage(() -> "waiting for " + what + " at "
                + browser.driver().getCurrentUrl() + ": " + browser.driver().findElement(By.tagName("body")).getText())
                .ignoring(StaleElementReferenceException.class).until(d -> condition.getAsBoolean());
    }
}
