package io.ipnslink.samples.site;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.http.ClientConfig;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page in headless Chromium at the origin (no gateway yet): two tabs, each sees the
 * other's line. Needs the Debian packages {@code chromium} and {@code chromium-driver}
 * ({@code -DskipBrowser} leaves it out), like the demo's BrowserTest.
 */
@Tag("browser")
class ChatBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private SampleSite site;
    private ChromeDriverService service;
    private WebDriver driver;
    private Path profile;

    @BeforeEach
    void start() throws IOException {
        Path chromium = Path.of(System.getProperty("ipnslink.chromium", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getProperty("ipnslink.chromedriver", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
            fail("The browser tests need Chromium and chromedriver (Debian: apt-get install chromium"
                    + " chromium-driver); leave them out with -DskipBrowser.");
        }
        System.setProperty("webdriver.chrome.driver", chromedriver.toString());
        profile = Files.createTempDirectory("ipns-link-chat-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-proxy-server",
                "--user-data-dir=" + profile);
        service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort()
                .withTimeout(Duration.ofSeconds(20)).build();
        driver = new ChromeDriver(service, options, ClientConfig.defaultConfig()
                .connectionTimeout(Duration.ofSeconds(10)).readTimeout(Duration.ofSeconds(30)));
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(15));
        site = SampleSite.start();
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (driver != null) {
                driver.quit();
            }
            if (service != null) {
                service.stop();
            }
            if (site != null) {
                site.close();
            }
        } finally {
            if (profile != null) {
                try (Stream<Path> files = Files.walk(profile)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    @Test
    void twoTabsSeeEachOthersMessages() {
        String page = site.uri().resolve("/chat-page").toString();
        driver.get(page);
        String first = driver.getWindowHandle();
        waitForText("state", "Connected");
        driver.switchTo().newWindow(WindowType.TAB);
        driver.get(page);
        String second = driver.getWindowHandle();
        waitForText("state", "Connected");

        say("hello from the second tab");
        driver.switchTo().window(first);
        waitForText("lines", "guest-2: hello from the second tab");
        say("<b>hi</b> from the first");
        driver.switchTo().window(second);
        waitForText("lines", "guest-1: <b>hi</b> from the first"); // shown as text, not as HTML
        assertTrue(driver.findElements(By.cssSelector("#lines b")).isEmpty(), "a line must not become HTML");
    }

    private void say(String text) {
        driver.findElement(By.id("text")).sendKeys(text);
        driver.findElement(By.cssSelector("#say button")).click();
    }

    private void waitForText(String id, String text) {
        new WebDriverWait(driver, WAIT).withMessage(() -> "#" + id + " to contain '" + text + "': "
                + driver.findElement(By.id(id)).getText())
                .until(d -> d.findElement(By.id(id)).getText().contains(text));
    }
}
