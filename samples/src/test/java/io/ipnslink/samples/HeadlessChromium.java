package io.ipnslink.samples;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.http.ClientConfig;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven through its chromedriver, with a fresh profile folder, for the
 * chat browser tests (system properties {@code ipnslink.chromium} and {@code ipnslink.chromedriver}
 * point elsewhere). The flags keep it off the network: no background networking, updates, sync or
 * QUIC. {@link #close} quits the browser, stops the driver and deletes the profile.
 */
public final class HeadlessChromium implements AutoCloseable {
    private final Path profile;
    private final ChromeDriverService service;
    private final WebDriver driver;
    private final Duration wait;

    private HeadlessChromium(Path profile, ChromeDriverService service, WebDriver driver, Duration wait) {
        this.profile = profile;
        this.service = service;
        this.driver = driver;
        this.wait = wait;
    }

    /** Starts a browser; fails the test (never skips) when Chromium or chromedriver is missing. */
    public static HeadlessChromium start(String profilePrefix, Duration wait) throws IOException {
        Path chromium = Path.of(System.getProperty("ipnslink.chromium", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getProperty("ipnslink.chromedriver", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
            fail("The browser tests need Chromium and chromedriver (Debian: apt-get install chromium"
                    + " chromium-driver); leave them out with -DskipBrowser.");
        }
        System.setProperty("webdriver.chrome.driver", chromedriver.toString());
        Path profile = Files.createTempDirectory(profilePrefix);
        ChromeDriverService service = null;
        try {
            ChromeOptions options = new ChromeOptions();
            options.setBinary(chromium.toFile());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--no-default-browser-check",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-extensions", "--no-proxy-server", "--user-data-dir=" + profile);
            service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort()
                    .withTimeout(Duration.ofSeconds(20)).build();
            WebDriver driver = new ChromeDriver(service, options, ClientConfig.defaultConfig()
                    .connectionTimeout(Duration.ofSeconds(10)).readTimeout(Duration.ofSeconds(30)));
            driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(15));
            return new HeadlessChromium(profile, service, driver, wait);
        } catch (RuntimeException e) {
            if (service != null) {
                service.stop();
            }
            deleteTree(profile);
            throw e;
        }
    }

    public WebDriver driver() {
        return driver;
    }

    /** Waits (at most the browser's wait) until the element {@code #id} contains {@code text}. */
    public void waitForText(String id, String text) {
        new WebDriverWait(driver, wait).withMessage(() -> "#" + id + " to contain '" + text + "' at "
                + driver.getCurrentUrl() + ": " + driver.findElement(By.id(id)).getText())
                .until(d -> d.findElement(By.id(id)).getText().contains(text));
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try {
                service.stop();
            } finally {
                deleteTree(profile);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
