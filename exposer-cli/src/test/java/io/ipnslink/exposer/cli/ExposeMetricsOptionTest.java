package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.exposer.cli.CliFixture.Running;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code expose --metrics PORT} and {@code --metrics-bind ADDR}: served while the command runs, bad values refused. */
class ExposeMetricsOptionTest {
    @RegisterExtension
    static final CliFixture fx = new CliFixture();

    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code expose blog} with {@code extra} until {@code body} is done (or until it failed to start). */
    CliRunner.Run expose(Body body, String... extra) throws Exception {
        Running r = fx.start(fx.exposeBlogArgs(extra));
        Path control = fx.dir.resolve("home/expose.json");
        CliFixture.await(() -> Files.exists(control) || r.result().isDone(), "expose to start or fail");
        if (r.result().isDone()) {
            return r.result().get();
        }
        try {
            body.run();
        } finally {
            r.stopLatch().countDown();
        }
        return r.stop();
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
