package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.exposer.FakeTunnel;
import io.ipnslink.exposer.TestRouter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code expose --metrics PORT} and {@code --metrics-bind ADDR}: served while the command runs, bad values refused. */
class ExposeMetricsOptionTest {
    @TempDir
    Path dir;
    TestRouter router;
    CliRunner cli;

    @BeforeEach
    void setUp() throws Exception {
        router = new TestRouter(dir.resolve("router"));
        cli = new CliRunner(dir.resolve("home"), h -> new FakeTunnel());
        assertEquals(0, cli.run("key", "gen", "blog").code());
    }

    @AfterEach
    void tearDown() throws Exception {
        router.close();
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code expose blog} with {@code extra} until {@code body} is done (or until it failed to start). */
    CliRunner.Run expose(Body body, String... extra) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        String[] args = new String[5 + extra.length];
        args[0] = "expose";
        args[1] = "blog";
        args[2] = "http://127.0.0.1:9";
        args[3] = "--publish-to=" + router.uri();
        args[4] = "--listen=/ip4/127.0.0.1/tcp/0";
        System.arraycopy(extra, 0, args, 5, extra.length);
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        new Thread(() -> result.complete(cli.run(stop, args))).start();
        Path control = dir.resolve("home/expose.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(control) && !result.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        if (result.isDone()) {
            return result.get();
        }
        try {
            body.run();
        } finally {
            stop.countDown();
        }
        return result.get(30, TimeUnit.SECONDS);
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void servedOnLoopbackWhileTheCommandRuns() throws Exception {
        int port = freePort();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        CliRunner.Run run = expose(() -> {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("ipnslink_exposer_publishes_total{outcome=\"ok\"} 1.0"), r.body());
        }, "--metrics", Integer.toString(port));
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("metrics at http://127.0.0.1:" + port + "/metrics"), run.out());
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(port, again.getLocalPort(), "the metrics server closed with the command");
        }
    }

    @Test
    void badValuesAreRefusedNamingTheOption() throws Exception {
        Body never = () -> {
            throw new AssertionError("started with a bad value");
        };
        CliRunner.Run big = expose(never, "--metrics", "70000");
        assertNotEquals(0, big.code());
        assertTrue(big.err().contains("--metrics: 70000 is not a port"), big.err());
        CliRunner.Run alone = expose(never, "--metrics-bind", "127.0.0.1");
        assertNotEquals(0, alone.code());
        assertTrue(alone.err().contains("--metrics-bind needs --metrics PORT"), alone.err());
        CliRunner.Run name = expose(never, "--metrics", "0", "--metrics-bind", "metrics.example");
        assertNotEquals(0, name.code());
        assertTrue(name.err().contains("--metrics-bind: 'metrics.example' is not an IP address"), name.err());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CliRunner.Run busy = expose(never, "--metrics", Integer.toString(taken.getLocalPort()));
            assertEquals(1, busy.code());
            assertTrue(busy.err().contains("--metrics: cannot serve metrics on 127.0.0.1:" + taken.getLocalPort()),
                    busy.err());
        }
    }
}
