package io.ipnslink.samples.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.samples.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The admin page of the embedded gateway in headless Chromium: sign in with the token, create a
 * tenant, attach a site, add a custom domain, all through the page's forms; the tables show them
 * and the site's usage chart (inline SVG) is drawn. Screenshots: {@code target/screenshots/admin-*.png}.
 */
@Tag("browser")
class AdminPageBrowserTest {
    private static final String TOKEN = "browser-test-admin-token-42";
    private static final Path SHOTS = Path.of(System.getProperty("basedir", "."), "target", "screenshots");

    @TempDir
    Path dir;

    @Test
    void signInCreateAttachAndSeeUsage() throws Exception {
        String db = "jdbc:h2:mem:admin-browser-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
        String site = IpnsName.of(Ed25519PrivKey.generate().peerId()).toString();
        Files.createDirectories(SHOTS);
        try (EmbeddedGateway gw = EmbeddedGateway.start("127.0.0.1", 0, dir, Map.of("admin-token", TOKEN, "store", db));
                HeadlessChromium browser = HeadlessChromium.start("admin-page", Duration.ofSeconds(15))) {
            usage(db, site);
            WebDriver d = browser.driver();
            d.manage().window().setSize(new Dimension(1280, 2200));
            d.get(gw.base() + EmbeddedGateway.ADMIN_PATH + "/");
            d.findElement(By.id("token")).sendKeys(TOKEN);
            shot(d, "admin-login.png");
            d.findElement(By.id("signin")).click();
            browser.waitForText("tenants-heading", "Tenants");
            submit(d, "create-tenant", Map.of("id", "acme", "name", "Acme Hosting"));
            browser.waitForText("done", "Tenant created");
            submit(d, "attach-site", Map.of("site", site));
            browser.waitForText("done", "Site attached");
            submit(d, "add-domain", Map.of("domain", "www.acme.example"));
            browser.waitForText("done", "Domain added");
            assertTrue(d.findElement(By.id("tenants")).getText().contains("Acme Hosting"));
            assertTrue(d.findElement(By.id("sites")).getText().contains(site));
            String domains = d.findElement(By.id("domains")).getText();
            assertTrue(domains.contains("www.acme.example") && domains.contains("pending"), domains);
            WebElement chart = d.findElement(By.id("usage-" + site));
            assertTrue(chart.getText().contains("126 requests"), chart.getText());
            List<WebElement> bars = chart.findElements(By.cssSelector("svg rect.bar:not(.err)"));
            assertEquals(3, bars.size());
            assertTrue(bars.get(0).getSize().getHeight() > 0);
            String audit = d.findElement(By.id("audit")).getText();
            assertTrue(audit.contains("tenant.create") && audit.contains("site.attach") && audit.contains("domain.add"),
                    audit);
            shot(d, "admin-page.png");
        }
    }

    /** Usage rows as the usage part writes them: three hours of the last day, two gateways in one. */
    private static void usage(String db, String site) throws Exception {
        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
        try (Connection c = DriverManager.getConnection(db, "sa", "");
                PreparedStatement ps = c.prepareStatement("INSERT INTO ipnslink_usage (site, hour_start, gateway,"
                        + " requests, bytes_in, bytes_out, errors, p50_ms, p99_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            Object[][] rows = {{5, "gw-a", 60L, 3L}, {5, "gw-b", 20L, 0L}, {4, "gw-a", 30L, 1L}, {1, "gw-a", 16L, 0L}};
            for (Object[] r : rows) {
                ps.setString(1, site);
                ps.setObject(2, LocalDateTime.ofInstant(hour.minus(Duration.ofHours((Integer) r[0])), ZoneOffset.UTC));
                ps.setString(3, (String) r[1]);
                ps.setLong(4, (Long) r[2]);
                ps.setLong(5, 0);
                ps.setLong(6, (Long) r[2] * 2048);
                ps.setLong(7, (Long) r[3]);
                ps.setDouble(8, 4.0);
                ps.setDouble(9, 30.0);
                ps.executeUpdate();
            }
        }
    }

    private static void submit(WebDriver d, String formId, Map<String, String> fields) {
        WebElement form = d.findElement(By.id(formId));
        fields.forEach((k, v) -> form.findElement(By.name(k)).sendKeys(v));
        form.findElement(By.cssSelector("button[type=submit]")).click();
    }

    private static void shot(WebDriver d, String file) throws Exception {
        Files.write(SHOTS.resolve(file), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
    }
}
