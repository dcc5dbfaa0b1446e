package io.ipnslink.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.samples.demo.DemoMain;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The demo as a user meets it: site through the gateway, form, session cookie, subdomain form. */
class DemoTest {
    private DemoMain demo;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        demo = DemoMain.start(0);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    @Test
    void siteFormAndSessionWorkThroughThePathForm() throws Exception {
        HttpResponse<String> home = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, home.statusCode(), home.body());
        assertTrue(home.body().contains("A site behind IPNS-Link"), home.body());
        String cookie = home.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("Path=/ipns/" + demo.name() + "/"), cookie);
        String sid = cookie.substring(0, cookie.indexOf(';'));

        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl() + "guestbook"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", sid)
                .POST(HttpRequest.BodyPublishers.ofString("message=hello+from+the+test")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(303, post.statusCode());

        HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl()))
                .header("Cookie", sid).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(again.body().contains("<b id=\"visits\">2</b>"), again.body());
        assertTrue(again.body().contains("hello from the test"), again.body());

        HttpResponse<String> css = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl() + "style.css")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("text/css", css.headers().firstValue("Content-Type").orElseThrow());
    }

    @Test
    void subdomainFormServesTheSite() throws Exception {
        try (Socket s = new Socket("127.0.0.1", demo.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + demo.name() + ".ipns.localhost:" + demo.port()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertTrue(answer.contains("A site behind IPNS-Link"), answer);
        }
    }

    @Test
    void originDownShowsTheComingSoonPage() throws Exception {
        demo.stopSite();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), r.headers().map().toString());
    }
}
