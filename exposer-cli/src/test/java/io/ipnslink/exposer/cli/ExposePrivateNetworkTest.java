package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.exposer.FakeTunnel;
import io.ipnslink.exposer.TestRouter;
import io.ipnslink.p2p.security.pnet.SwarmKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code key swarm gen} and {@code --swarm-key}: the exposer's host is in the private network
 * ({@code p2p ping --swarm-key} reaches it, a plain ping does not), from the option or the config
 * file's {@code swarmKey}; bad key files are clear errors.
 */
class ExposePrivateNetworkTest {
    static final long WAIT_S = 30;

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

    @Test
    void swarmGenPrintsOrWritesAPrivateKeyFile() throws Exception {
        CliRunner.Run printed = cli.run("key", "swarm", "gen");
        assertEquals(0, printed.code(), printed.err());
        SwarmKey a = SwarmKey.parse(printed.out().getBytes(StandardCharsets.US_ASCII));
        assertTrue(printed.out().startsWith("/key/swarm/psk/1.0.0/\n/base16/\n"), printed.out());

        Path file = dir.resolve("keys/swarm.key");
        CliRunner.Run wrote = cli.run("key", "swarm", "gen", "--out", file.toString(), "--json");
        assertEquals(0, wrote.code(), wrote.err());
        SwarmKey b = SwarmKey.read(file);
        assertNotEquals(a, b);
        assertEquals(b.fingerprint(), wrote.json().path("fingerprint").asText());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(wrote.out().contains(new String(b.encode(), StandardCharsets.US_ASCII).split("\n")[2]),
                "the key itself is not printed when written to a file");

        CliRunner.Run again = cli.run("key", "swarm", "gen", "--out", file.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
        assertEquals(b, SwarmKey.read(file), "not overwritten");
    }

    /** Starts {@code expose} in a thread; returns the stop latch once the control file is there. */
    CountDownLatch expose(CompletableFuture<CliRunner.Run> result, String... extra) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        String[] args = new String[5 + extra.length];
        args[0] = "expose";
        args[1] = "blog";
        args[2] = "http://127.0.0.1:9";
        args[3] = "--publish-to=" + router.uri();
        args[4] = "--listen=/ip4/127.0.0.1/tcp/0";
        System.arraycopy(extra, 0, args, 5, extra.length);
        new Thread(() -> result.complete(cli.run(stop, args))).start();
        Path control = dir.resolve("home/expose.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!Files.exists(control) && !result.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(control), () -> "expose did not start: " + result.getNow(null));
        return stop;
    }

    private void onlyPeersWithTheKeyReachIt(Path key) throws Exception {
        JsonNode status = cli.run("status", "--json").json();
        String addr = status.path("listen").get(0).asText() + "/p2p/" + status.path("peer").asText();
        JsonNode ping = cli.run("p2p", "ping", addr, "-n", "1", "--json", "--swarm-key", key.toString()).json();
        assertEquals(1, ping.path("rttMillis").size(), ping.toString());
        JsonNode id = cli.run("p2p", "id", addr, "--json", "--swarm-key", key.toString()).json();
        assertEquals(status.path("peer").asText(), id.path("peer").asText());

        CliRunner.Run plain = cli.run("p2p", "ping", addr, "-n", "1");
        assertEquals(1, plain.code(), plain.out());
        Path other = dir.resolve("other.key");
        Files.write(other, SwarmKey.generate().encode());
        CliRunner.Run wrongKey = cli.run("p2p", "ping", addr, "-n", "1", "--swarm-key", other.toString());
        assertEquals(1, wrongKey.code(), wrongKey.out());
        assertTrue(wrongKey.err().contains("swarm key"), wrongKey.err());
    }

    @Test
    void exposeWithSwarmKeyIsReachableOnlyWithTheKey() throws Exception {
        Path key = dir.resolve("swarm.key");
        assertEquals(0, cli.run("key", "swarm", "gen", "--out", key.toString()).code());
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = expose(result, "--swarm-key", key.toString());
        try {
            onlyPeersWithTheKeyReachIt(key);
        } finally {
            stop.countDown();
        }
        assertEquals(0, result.get(WAIT_S, TimeUnit.SECONDS).code());
    }

    @Test
    void theConfigFileNamesTheKeyRelativeToItsFolder() throws Exception {
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.write(conf.resolve("swarm.key"), SwarmKey.generate().encode());
        Path config = conf.resolve("expose.json");
        Files.writeString(config, "{\"swarmKey\": \"swarm.key\"}");
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = expose(result, "--config", config.toString());
        try {
            onlyPeersWithTheKeyReachIt(conf.resolve("swarm.key"));
        } finally {
            stop.countDown();
        }
        assertEquals(0, result.get(WAIT_S, TimeUnit.SECONDS).code());
    }

    @Test
    void badKeyFilesAreClearErrors() throws Exception {
        CliRunner.Run missing = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--swarm-key", dir.resolve("nope.key").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("--swarm-key: no file"), missing.err());

        Path bad = dir.resolve("bad.key");
        Files.writeString(bad, "/key/swarm/psk/1.0.0/\n/base16/\nnot hex\n");
        CliRunner.Run notKey = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--swarm-key", bad.toString());
        assertEquals(1, notKey.code());
        assertTrue(notKey.err().contains("64 hex digits"), notKey.err());
        assertFalse(notKey.err().contains("Exception"), notKey.err());

        CliRunner.Run resolve = cli.run("resolve", "blog", "--router", router.uri().toString(), "--swarm-key",
                bad.toString());
        assertEquals(1, resolve.code());
        assertTrue(resolve.err().contains("--swarm-key"), resolve.err());
    }
}
