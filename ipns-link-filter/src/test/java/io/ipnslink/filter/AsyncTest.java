package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.filter.testing.FakeForwarder;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No container thread waits on the network: slow resolutions do not starve the web app. */
class AsyncTest {
    @TempDir
    Path dir;

    @Test
    void slowResolutionsHoldNoContainerThread() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        HttpServer slowRouting = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        slowRouting.setExecutor(Executors.newCachedThreadPool());
        slowRouting.createContext("/", ex -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        slowRouting.start();
        IpnsLinkFilter filter = new IpnsLinkFilter(GatewayOverrides.none().withEnvironment(Map.of())
                .withForwarder((h, c) -> new FakeForwarder()));
        HttpClient http = HttpClient.newBuilder().build();
        try (GatewayServer s = GatewayServer.start(dir, filter, Map.of("routing-endpoints",
                "http://127.0.0.1:" + slowRouting.getAddress().getPort(), "resolve-timeout", "10s"), Map.of(), "", 3)) {
            List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                waiting.add(http.sendAsync(HttpRequest.newBuilder(s.base().resolve("/ipns/" + Sites.Site.generate().name()
                        + "/")).build(), HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(300);
            long t0 = System.nanoTime();
            HttpResponse<String> app = http.send(HttpRequest.newBuilder(s.base().resolve("/")).timeout(Duration.ofSeconds(3))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(GatewayServer.APP + "GET /", app.body());
            assertTrue(Duration.ofNanos(System.nanoTime() - t0).toMillis() < 2000);
            assertTrue(waiting.stream().noneMatch(CompletableFuture::isDone), "the IPNS requests are still resolving");
            release.countDown();
            for (CompletableFuture<HttpResponse<String>> f : waiting) {
                assertEquals(404, f.get(15, TimeUnit.SECONDS).statusCode());
            }
        } finally {
            release.countDown();
            slowRouting.stop(0);
        }
    }
}
