package io.ipnslink.samples.site;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.samples.HeadlessChromium;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WindowType;

/**
 * The chat page in headless Chromium at the origin (no gateway yet): two tabs, each sees the
 * other's line. Needs the Debian packages {@code chromium} and {@code chromium-driver}
 * ({@code -DskipBrowser} leaves it out), like the demo's BrowserTest.
 */
@Tag("browser")
class ChatBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private SampleSite site;
    private HeadlessChromium browser;
    private WebDriver driver;

    @BeforeEach
    void start() throws IOException {
        browser = HeadlessChromium.start("ipns-link-chat-chromium", WAIT);
        driver = browser.driver();
        site = SampleSite.start();
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (site != null) {
                site.close();
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
        browser.waitForText(id, text);
    }
}
