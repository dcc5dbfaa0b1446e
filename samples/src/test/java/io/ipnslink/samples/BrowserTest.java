package io.ipnslink.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ipnslink.samples.demo.DemoMain;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.http.ClientConfig;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo in a real browser: headless Chromium, driven through the system chromedriver, opens the
 * sample site through the gateway in subdomain form ({@code http://{name}.ipns.localhost:PORT/},
 * which Chromium resolves to loopback by itself), uses its form, session cookie, static assets and
 * server-sent events, then sees the gateway's "coming soon" page once the site is unreachable.
 * One browser serves all tests; each test has its own demo (own port, own site name).
 * Screenshots go to {@code target/screenshots/}.
 *
 * <p>Needs the Debian packages {@code chromium} and {@code chromium-driver}; without them the tests
 * fail (leave them out with {@code -DskipBrowser}). Other paths: system properties
 * {@code ipnslink.chromium} and {@code ipnslink.chromedriver}.
 */
@Tag("browser")
class BrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Path SHOTS = Path.of(System.getProperty("basedir", "."), "target", "screenshots");

    private static ChromeDriverService service;
    private static WebDriver driver;
    private static Path profile;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private DemoMain demo;

    @BeforeAll
    static void startBrowser() throws IOException {
        Path chromium = Path.of(System.getProperty("ipnslink.chromium", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getProperty("ipnslink.chromedriver", "/usr/bin/chromedriver"));
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(chromium)) {
            missing.add("Chromium (" + chromium + ")");
        }
        if (!Files.isExecutable(chromedriver)) {
            missing.add("chromedriver (" + chromedriver + ")");
        }
        if (!missing.isEmpty()) {
            fail("The browser tests need " + String.join(" and ", missing) + ", which this machine lacks. Install"
                    + " them (Debian: apt-get install chromium chromium-driver) or leave these tests out with"
                    + " -DskipBrowser.");
        }
        // Both the driver and the browser are given, so Selenium Manager is never asked to find (or fetch)
        // either; SE_OFFLINE=true (set by the build) would keep it offline anyway.
        System.setProperty("webdriver.chrome.driver", chromedriver.toString());
        profile = Files.createTempDirectory("ipns-link-chromium");
        Files.createDirectories(SHOTS);

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-proxy-server",
                "--window-size=1280,900", "--user-data-dir=" + profile);
        service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort()
                .withTimeout(Duration.ofSeconds(20)).build();
        driver = new ChromeDriver(service, options, ClientConfig.defaultConfig()
                .connectionTimeout(Duration.ofSeconds(10)).readTimeout(Duration.ofSeconds(30)));
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(15)).scriptTimeout(WAIT);
    }

    @AfterAll
    static void stopBrowser() {
        try {
            if (driver != null) {
                driver.quit();
            }
        } finally {
            if (service != null) {
                service.stop();
            }
            deleteTree(profile);
        }
    }

    @AfterEach
    void stopDemo() {
        if (driver != null) {
            driver.get("about:blank"); // drops the page's connections (the event stream) first
        }
        if (demo != null) {
            demo.close();
        }
    }

    @Test
    void siteWorksThroughTheGatewayInSubdomainForm() throws Exception {
        demo = DemoMain.start(0);

        driver.get("http://127.0.0.1:" + demo.port() + "/");
        screenshot("gateway-landing.png");
        assertTrue(driver.findElement(By.tagName("body")).getText().contains("IPNS-Link"),
                "the gateway's own page at / should name IPNS-Link: " + driver.getPageSource());

        String site = demo.subdomainUrl();
        driver.get(site);
        assertEquals(site, driver.getCurrentUrl(), "the subdomain URL should be served as is");
        // Only the gateway on 127.0.0.1 knows this name: the page proves *.localhost went to loopback.
        assertEquals("A site behind IPNS-Link", driver.getTitle(), driver.getPageSource());
        assertEquals(demo.name() + ".ipns.localhost", js("return location.hostname"));
        assertEquals("1", text("visits"));
        Cookie sid = driver.manage().getCookieNamed("sid");
        assertNotNull(sid, "the site's session cookie should be set on the site's own origin");
        assertEquals("/", sid.getPath());

        // Static assets, as the page uses them: the stylesheet applies, the logo decodes.
        assertEquals("rgb(31, 58, 95)", js("return getComputedStyle(document.querySelector('header')).backgroundColor"),
                "style.css should be applied");
        assertTrue(((Number) js("return document.querySelector('header img').naturalWidth")).intValue() > 0,
                "logo.svg should load");

        // The guestbook: post, redirect home, see the message; the session counts the visit.
        driver.findElement(By.name("message")).sendKeys("hello from Chromium");
        driver.findElement(By.cssSelector("form button")).click();
        waitFor("the visit counter to reach 2 after the form's redirect", () -> "2".equals(text("visits")));
        assertEquals(site, driver.getCurrentUrl());
        assertTrue(text("messages").contains("hello from Chromium"), text("messages"));
        screenshot("site.png");

        // Reload: the same session cookie comes back and the counter goes on.
        driver.navigate().refresh();
        waitFor("the visit counter to reach 3 after a reload", () -> "3".equals(text("visits")));
        assertEquals(sid.getValue(), driver.manage().getCookieNamed("sid").getValue(), "the session should survive");

        // An old link redirects home (relative Location under the subdomain).
        driver.get(site + "old-page");
        assertEquals(site, driver.getCurrentUrl());
        assertEquals("4", text("visits"));

        // A static asset on its own.
        driver.get(site + "style.css");
        assertTrue(driver.getPageSource().contains("background:#1f3a5f"), driver.getPageSource());
    }

    @Test
    void serverSentEventsReachThePage() throws Exception {
        demo = DemoMain.start(0);
        driver.get(demo.subdomainUrl());
        driver.findElement(By.linkText("Live clock")).click();
        assertEquals(demo.subdomainUrl() + "events-page", driver.getCurrentUrl());
        // The origin pushes its clock every second; the page shows each event as it arrives.
        waitFor("the first server-sent event", () -> isTime(text("clock")));
        String first = text("clock");
        waitFor("the next server-sent events (the first showed " + first + "; the origin sends one a second)",
                () -> isTime(text("clock")) && !text("clock").equals(first));
    }

    @Test
    void serverSentEventsReachTheSandboxedPageInPathForm() throws Exception {
        demo = DemoMain.start(0);
        driver.get(demo.pathUrl() + "events-page");
        // path form: the gateway adds a CSP sandbox without allow-same-origin, so the page's
        // EventSource is cross-origin and works because the site allows it (CORS)
        waitFor("the first server-sent event in path form", () -> isTime(text("clock")));
        String first = text("clock");
        waitFor("the next server-sent events in path form (the first showed " + first + ")",
                () -> isTime(text("clock")) && !text("clock").equals(first));
    }

    @Test
    void exposerStoppedShowsComingSoon() throws Exception {
        demo = DemoMain.start(0);
        driver.get(demo.subdomainUrl());
        assertEquals("A site behind IPNS-Link", driver.getTitle());

        demo.stopExposer();
        driver.get(demo.subdomainUrl());
        screenshot("coming-soon.png");
        assertComingSoon("the exposer is stopped");
        assertHttpComingSoon("the exposer is stopped");
    }

    @Test
    void originDownBehindARunningExposerShowsComingSoon() throws Exception {
        demo = DemoMain.start(0);
        driver.get(demo.subdomainUrl());
        assertEquals("A site behind IPNS-Link", driver.getTitle());

        demo.stopSite();
        driver.get(demo.subdomainUrl());
        screenshot("coming-soon-origin-down.png");
        assertComingSoon("the origin is down (its exposer still runs)");
        assertHttpComingSoon("the origin is down (its exposer still runs)");
    }

    /** The gateway's 504 page (the demo's manifest has no onfail target, so no redirect). */
    private void assertComingSoon(String when) {
        String title = driver.getTitle();
        String body = driver.findElement(By.tagName("body")).getText();
        assertTrue(title.startsWith("504 Coming soon"), "when " + when + ", the gateway should show its \"coming soon\""
                + " page (504); the browser got title '" + title + "' and text: " + body);
        assertTrue(body.contains("offline") && body.toLowerCase(java.util.Locale.ROOT).contains("try again"), body);
        assertEquals(demo.subdomainUrl(), driver.getCurrentUrl(), "the coming-soon page stays on the site's URL");
    }

    /** The same answer as HTTP: status 504 with Retry-After (the path form, which java.net resolves). */
    private void assertHttpComingSoon(String when) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl()))
                .header("Accept", "text/html").timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(504, r.statusCode(), "when " + when + ": " + r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), "Retry-After on the coming-soon page");
    }

    private static boolean isTime(String s) {
        return s.matches("\\d\\d:\\d\\d:\\d\\d");
    }

    private String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    private Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    private void waitFor(String what, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(driver, WAIT).withMessage("waiting for " + what)
                .ignoring(StaleElementReferenceException.class).until(d -> condition.getAsBoolean());
    }

    private static void screenshot(String file) throws IOException {
        Files.write(SHOTS.resolve(file), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            // a temp dir; best effort
        }
    }
}
