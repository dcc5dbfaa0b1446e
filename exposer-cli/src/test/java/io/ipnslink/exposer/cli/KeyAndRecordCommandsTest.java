package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.keystore.KeyFiles;
import io.ipnslink.core.keystore.Keystore;
import io.ipnslink.exposer.FakeTunnel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyAndRecordCommandsTest {
    @TempDir
    Path dir;
    CliRunner cli;

    @BeforeEach
    void setUp() {
        cli = new CliRunner(dir.resolve("home"), h -> new FakeTunnel());
    }

    @Test
    void keyGenListsBothNameFormsAndWritesKuboKeystoreFiles() {
        CliRunner.Run gen = cli.run("key", "gen", "blog", "--json");
        assertEquals(0, gen.code(), gen.err());
        JsonNode k = gen.json();
        IpnsName name = IpnsName.parse(k.path("id").asText());
        assertTrue(k.path("id").asText().startsWith("k51"));
        assertEquals(name.toBase58(), k.path("base58").asText());
        assertTrue(Files.exists(dir.resolve("home/keystore").resolve(Keystore.fileNameFor("blog"))));
        PrivKey stored = Keystore.open(dir.resolve("home/keystore")).get("blog");
        assertEquals(name.peerId(), stored.peerId());

        CliRunner.Run list = cli.run("key", "list");
        assertEquals(0, list.code());
        assertTrue(list.out().contains("blog  " + name + "  " + name.toBase58()), list.out());
        assertEquals(1, cli.run("key", "list", "--json").json().size());
    }

    @Test
    void keyGenTwiceAndUnknownKeysFailWithOneLine() {
        assertEquals(0, cli.run("key", "gen", "blog").code());
        CliRunner.Run again = cli.run("key", "gen", "blog");
        assertEquals(1, again.code());
        assertEquals("ipns-link: key 'blog' already exists (remove it with: ipns-link key rm blog)", again.err().trim());
        CliRunner.Run rm = cli.run("key", "rm", "nope");
        assertEquals(1, rm.code());
        assertTrue(rm.err().startsWith("ipns-link: unknown site 'nope'"), rm.err());
        assertFalse(rm.err().contains("\tat "), "no stack trace");
        CliRunner.Run bad = cli.run("key", "gen", "self");
        assertEquals(1, bad.code());
        assertEquals(1, bad.err().trim().lines().count(), bad.err());
    }

    @Test
    void usageErrorsExitWithTwo() {
        CliRunner.Run r = cli.run("key", "gen");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Missing required parameter"), r.err());
        assertEquals(2, cli.run("frobnicate").code());
        assertEquals(2, cli.run("record", "verify", "x").code());
        assertEquals(2, cli.run("key", "gen", "x", "--type", "dsa").code());
        assertEquals(0, cli.run("expose", "--help").code());
    }

    @Test
    void renameRemoveExportImportRoundTripInBothKuboFormats() throws Exception {
        String id = cli.run("key", "gen", "blog", "--json").json().path("id").asText();
        assertEquals(0, cli.run("key", "rename", "blog", "site").code());
        assertTrue(cli.run("key", "list").out().contains("site  " + id));
        Path raw = dir.resolve("site.key");
        Path pem = dir.resolve("site.pem");
        assertEquals(0, cli.run("key", "export", "site", "-o", raw.toString()).code());
        assertEquals(0, cli.run("key", "export", "site", "-o", pem.toString(), "--format", "pem-pkcs8-cleartext").code());
        assertEquals(1, cli.run("key", "export", "site", "-o", raw.toString()).code(), "no overwrite");
        assertTrue(Files.readString(pem).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertEquals(id, IpnsName.of(KeyFiles.read(Files.readAllBytes(raw), KeyFiles.Format.LIBP2P_PROTOBUF_CLEARTEXT).peerId()).toString());
        assertEquals(0, cli.run("key", "rm", "site").code());
        assertEquals(id, cli.run("key", "import", "a", raw.toString(), "--json").json().path("id").asText());
        assertEquals(id, cli.run("key", "import", "b", pem.toString(), "--json").json().path("id").asText());
        CliRunner.Run missing = cli.run("key", "import", "c", dir.resolve("nope.key").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("ipns-link: cannot read"), missing.err());
        Files.writeString(dir.resolve("garbage.key"), "garbage");
        assertEquals(1, cli.run("key", "import", "c", dir.resolve("garbage.key").toString()).code());
    }

    @Test
    void rsaKeysGetAQmStyleBase58Name() {
        JsonNode k = cli.run("key", "gen", "big", "--type", "rsa", "--json").json();
        assertTrue(k.path("base58").asText().startsWith("Qm"), k.toString());
    }

    @Test
    void recordCreateVerifyInspect() throws Exception {
        String id = cli.run("key", "gen", "blog", "--json").json().path("id").asText();
        Path rec = dir.resolve("r.bin");
        CliRunner.Run created = cli.run("record", "create", "--key", "blog", "--value", "/ipfs/bafkqaaa",
                "--sequence", "18446744073709551615", "--lifetime", "2h", "--ttl", "30s", "-o", rec.toString(), "--json");
        assertEquals(0, created.code(), created.err());
        CliRunner.Run ok = cli.run("record", "verify", "--name", id, rec.toString(), "--json");
        assertEquals(0, ok.code(), ok.err());
        JsonNode v = ok.json();
        assertTrue(v.path("valid").asBoolean());
        assertEquals("/ipfs/bafkqaaa", v.path("value").asText());
        assertEquals("18446744073709551615", v.path("sequence").asText());
        assertEquals("30s", v.path("ttl").asText());

        String other = IpnsName.of(PrivKey.generateEd25519().peerId()).toString();
        CliRunner.Run wrong = cli.run("record", "verify", "--name", other, rec.toString());
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().startsWith("ipns-link: invalid record: "), wrong.err());

        byte[] bytes = Files.readAllBytes(rec);
        bytes[bytes.length - 3] ^= 1;
        Files.write(dir.resolve("bad.bin"), bytes);
        assertEquals(1, cli.run("record", "verify", "--name", id, dir.resolve("bad.bin").toString()).code());

        cli.stdin = Files.readAllBytes(rec);
        assertEquals(0, cli.run("record", "verify", "--name", id, "-").code(), "reads stdin");
        JsonNode inspected = cli.run("record", "inspect", rec.toString(), "--json").json();
        assertEquals("/ipfs/bafkqaaa", inspected.path("value").asText());
        Files.write(dir.resolve("junk.bin"), new byte[] {1, 2, 3});
        CliRunner.Run junk = cli.run("record", "inspect", dir.resolve("junk.bin").toString());
        assertEquals(1, junk.code());
        assertTrue(junk.err().startsWith("ipns-link: "), junk.err());
        CliRunner.Run badSeq = cli.run("record", "create", "--key", "blog", "--value", "/ipfs/bafkqaaa",
                "--sequence", "-1", "-o", rec.toString());
        assertEquals(1, badSeq.code());
        assertEquals(2, cli.run("record", "create", "--key", "blog", "--value", "/x", "--ttl", "soon", "-o", "x").code());
    }

    @Test
    void homeComesFromTheEnvironmentWhenNotGiven() {
        java.io.StringWriter out = new java.io.StringWriter();
        int code = Main.run(new Main.Env(Map.of("IPNS_LINK_HOME", dir.resolve("envhome").toString()),
                new java.io.PrintWriter(out, true), new java.io.PrintWriter(new java.io.StringWriter(), true),
                java.io.InputStream.nullInputStream(), new java.util.concurrent.CountDownLatch(0), h -> new FakeTunnel()),
                "key", "gen", "envkey");
        assertEquals(0, code);
        assertTrue(Files.isDirectory(dir.resolve("envhome/keystore")));
    }
}
