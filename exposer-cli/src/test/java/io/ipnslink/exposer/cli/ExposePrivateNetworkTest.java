package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.exposer.cli.CliFixture.Running;
import io.ipnslink.p2p.security.pnet.SwarmKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code key swarm gen} and {@code --swarm-key}: the exposer's host is in the private network
 * ({@code p2p ping --swarm-key} reaches it, a plain ping does not), from the option or the config
 * file's {@code swarmKey}; bad key files are clear errors.
 */
class ExposePrivateNetworkTest {
    @RegisterExtension
    static final CliFixture fx = new CliFixture();

    @Test
    void swarmGenPrintsOrWritesAPrivateKeyFile() throws Exception {
        CliRunner.Run printed = fx.cli.run("key", "swarm", "gen");
        assertEquals(0, printed.code(), printed.err());
        SwarmKey a = SwarmKey.parse(printed.out().getBytes(StandardCharsets.US_ASCII));
        assertTrue(printed.out().startsWith("/key/swarm/psk/1.0.0/\n/base16/\n"), printed.out());

        Path file = fx.dir.resolve("keys/swarm.key");
        CliRunner.Run wrote = fx.cli.run("key", "swarm", "gen", "--out", file.toString(), "--json");
        assertEquals(0, wrote.code(), wrote.err());
        SwarmKey b = SwarmKey.read(file);
        assertNotEquals(a, b);
        assertEquals(b.fingerprint(), wrote.json().path("fingerprint").asText());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(wrote.out().contains(new String(b.encode(), StandardCharsets.US_ASCII).split("\n")[2]),
                "the key itself is not printed when written to a file");

        CliRunner.Run again = fx.cli.run("key", "swarm", "gen", "--out", file.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
        assertEquals(b, SwarmKey.read(file), "not overwritten");
    }

    private void onlyPeersWithTheKeyReachIt(Path key) throws Exception {
        JsonNode status = fx.cli.run("status", "--json").json();
        String addr = status.path("listen").get(0).asText() + "/p2p/" + status.path("peer").asText();
        JsonNode ping = fx.cli.run("p2p", "ping", addr, "-n", "1", "--json", "--swarm-key", key.toString()).json();
        assertEquals(1, ping.path("rttMillis").size(), ping.toString());
        JsonNode id = fx.cli.run("p2p", "id", addr, "--json", "--swarm-key", key.toString()).json();
        assertEquals(status.path("peer").asText(), id.path("peer").asText());

        CliRunner.Run plain = fx.cli.run("p2p", "ping", addr, "-n", "1");
        assertEquals(1, plain.code(), plain.out());
        Path other = fx.dir.resolve("other.key");
        Files.write(other, SwarmKey.generate().encode());
        CliRunner.Run wrongKey = fx.cli.run("p2p", "ping", addr, "-n", "1", "--swarm-key", other.toString());
        assertEquals(1, wrongKey.code(), wrongKey.out());
        assertTrue(wrongKey.err().contains("swarm key"), wrongKey.err());
    }

    @Test
    void exposeWithSwarmKeyIsReachableOnlyWithTheKey() throws Exception {
        Path key = fx.dir.resolve("swarm.key");
        assertEquals(0, fx.cli.run("key", "swarm", "gen", "--out", key.toString()).code());
        Running expose = fx.startExposeBlog("--swarm-key", key.toString());
        try {
            onlyPeersWithTheKeyReachIt(key);
        } finally {
            expose.stopLatch().countDown();
        }
        assertEquals(0, expose.stop().code());
    }

    @Test
    void theConfigFileNamesTheKeyRelativeToItsFolder() throws Exception {
        Path conf = Files.createDirectories(fx.dir.resolve("conf"));
        Files.write(conf.resolve("swarm.key"), SwarmKey.generate().encode());
        Path config = conf.resolve("expose.json");
        Files.writeString(config, "{\"swarmKey\": \"swarm.key\"}");
        Running expose = fx.startExposeBlog("--config", config.toString());
        try {
            onlyPeersWithTheKeyReachIt(conf.resolve("swarm.key"));
        } finally {
            expose.stopLatch().countDown();
        }
        assertEquals(0, expose.stop().code());
    }

    @Test
    void badKeyFilesAreClearErrors() throws Exception {
        CliRunner.Run missing = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                "--swarm-key", fx.dir.resolve("nope.key").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("--swarm-key: no file"), missing.err());

        Path bad = fx.dir.resolve("bad.key");
        Files.writeString(bad, "/key/swarm/psk/1.0.0/\n/base16/\nnot hex\n");
        CliRunner.Run notKey = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                "--swarm-key", bad.toString());
        assertEquals(1, notKey.code());
        assertTrue(notKey.err().contains("64 hex digits"), notKey.err());
        assertFalse(notKey.err().contains("Exception"), notKey.err());

        CliRunner.Run resolve = fx.cli.run("resolve", "blog", "--router", fx.router.uri().toString(), "--swarm-key",
                bad.toString());
        assertEquals(1, resolve.code());
        assertTrue(resolve.err().contains("--swarm-key"), resolve.err());
    }
}
