package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container the gateway's tests (and the samples' embedded gateway) run in, without the gateway:
 * a plain async servlet reading a chunked body with a {@code ReadListener} (read while
 * {@code isReady()}, on the container's threads only), posted by {@code java.net.http.HttpClient}
 * from an {@code InputStream} (16 KiB chunks), 20 of 20 MiB on one connection. Tomcat 10.1.33 fails
 * this in the first request ({@code ChunkedInputFilter.parseCRLF}: "Invalid end of line sequence",
 * then its own 400 page or a closed connection); 10.1.40 passes. It guards the Tomcat version.
 */
class TomcatChunkedBodyTest {
    @TempDir
    Path dir;

    static final class Counting extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws java.io.IOException {
            AsyncContext async = req.startAsync();
            ServletInputStream in = req.getInputStream();
            byte[] buf = new byte[16384];
            in.setReadListener(new ReadListener() {
                long total;

                @Override
                public void onDataAvailable() throws java.io.IOException {
                    while (in.isReady()) {
                        int n = in.read(buf);
                        if (n < 0) {
                            break;
                        }
                        total += n;
                    }
                }

                @Override
                public void onAllDataRead() throws java.io.IOException {
                    resp.getWriter().print(total);
                    async.complete();
                }

                @Override
                public void onError(Throwable t) {
                    resp.setStatus(500);
                    async.complete();
                }
            });
        }
    }

    @Test
    void chunkedUploadsFromTheJdkClient() throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(dir.toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = tomcat.addContext("", null);
        Tomcat.addServlet(ctx, "c", new Counting()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/", "c");
        tomcat.start();
        try {
            byte[] body = new byte[20 << 20];
            new Random(3).nextBytes(body);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI u = URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + "/x");
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), "request " + i + ": " + r.body());
                assertEquals(Integer.toString(body.length), r.body(), "request " + i);
            }
        } finally {
            tomcat.stop();
            tomcat.destroy();
        }
    }
}
