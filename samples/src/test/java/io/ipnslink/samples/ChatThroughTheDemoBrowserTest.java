package io.ipnslink.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ipnslink.samples.demo.DemoMain;
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
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.http.ClientConfig;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The sample site's WebSocket chat through the demo's gateway (the demo started in-process, as
 * {@code ./ipns-link demo} runs it): two headless Chromium tabs open {@code /chat-page} of the
 * site through the gateway, in path form ({@code /ipns/{name}/chat-page}) and in subdomain form
 * ({@code {name}.ipns.localhost}), and each sees the other's lines. Needs the Debian packages
 * {@code chromium} and {@code chromium-driver} ({@code -DskipBrowser} leaves it out).
 */
@Tag("browser")
class ChatThroughTheDemoBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    private DemoMain demo;
    private ChromeDriverService service;
    private WebDriver driver;
    private Path profile;

    @BeforeEach
    void start() throws Exception {
        Path chromium = Path.of(System.getProperty("ipnslink.chromium", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getProperty("ipnslink.chromedriver", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
            fail("The browser tests need Chromium and chromedriver (Debian: apt-get install chromium"
                    + " chromium-driver); leave them out with -DskipBrowser.");
        }
        System.setProperty("webdriver.chrome.driver", chromedriver.toString());
        profile = Files.createTempDirectory("ipns-link-demo-chat-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-proxy-server",
                "--user-data-dir=" + profile);
        service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort()
                .withTimeout(Duration.ofSeconds(20)).build();
        driver = new ChromeDriver(service, options, ClientConfig.defaultConfig()
                .connectionTimeout(Duration.ofSeconds(10)).readTimeout(Duration.ofSeconds(30)));
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(15));
        demo = DemoMain.start(0);
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
            if (demo != null) {
                demo.close();
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
    void twoTabsChatThroughTheGatewayInPathForm() {
        String page = demo.pathUrl() + "chat-page";
        chatInTwoTabs(page, "127.0.0.1:" + demo.port());
    }

    @Test
    void twoTabsChatThroughTheGatewayInSubdomainForm() {
        String page = demo.subdomainUrl() + "chat-page";
        chatInTwoTabs(page, demo.name() + ".ipns.localhost:" + demo.port());
    }

    private void chatInTwoTabs(String page, String expectedHost) {
        driver.get(page);
        assertEquals(page, driver.getCurrentUrl(), "the page should be served as is (no redirect)");
        String first = driver.getWindowHandle();
        waitForText("state", "Connected");
        // the page opens its WebSocket relative to itself: through the gateway, in the page's form
        assertEquals(expectedHost, js("return location.host"));
        driver.switchTo().newWindow(WindowType.TAB);
        driver.get(page);
        String second = driver.getWindowHandle();
        waitForText("state", "Connected");

        say("hello from the second tab");
        driver.switchTo().window(first);
        waitForText("lines", "hello from the second tab");
        say("and hello from the first");
        driver.switchTo().window(second);
        waitForText("lines", "and hello from the first");
        assertTrue(driver.findElement(By.id("lines")).getText().contains("hello from the second tab"));
    }

    private Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    private void say(String text) {
        driver.findElement(By.id("text")).sendKeys(text);
        driver.findElement(By.cssSelector("#say button")).click();
    }

    private void waitForText(String id, String text) {
        new WebDriverWait(driver, WAIT).withMessage(() -> "#" + id + " to contain '" + text + "' at "
                + driver.getCurrentUrl() + ": " + driver.findElement(By.id(id)).getText())
                .until(d -> d.findElement(By.id(id)).getText().contains(text));
    }
}
