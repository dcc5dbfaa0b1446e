package io.ipnslink.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.samples.demo.DemoMain;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WindowType;

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
    private HeadlessChromium browser;
    private WebDriver driver;

    @BeforeEach
    void start() throws Exception {
        browser = HeadlessChromium.start("ipns-link-demo-chat-chromium", WAIT);
        driver = browser.driver();
        demo = DemoMain.start(0);
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (demo != null) {
                demo.close();
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
        browser.waitForText(id, text);
    }
}
