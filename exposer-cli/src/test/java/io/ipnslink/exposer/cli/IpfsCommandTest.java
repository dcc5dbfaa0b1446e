package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.Car;
import io.ipnslink.core.ipfs.FsBlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.core.unixfs.UnixFsImporter;
import io.ipnslink.core.unixfs.UnixFsProfile;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.exposer.FakeTunnel;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpfsCommandTest {
    @TempDir
    Path dir;
    CliRunner cli;
    Path site;

    @BeforeEach
    void setUp() throws Exception {
        cli = new CliRunner(dir.resolve("home"), h -> new FakeTunnel());
        site = Files.createDirectories(dir.resolve("site/css"));
        site = dir.resolve("site");
        Files.writeString(site.resolve("index.html"), "<h1>hi</h1>");
        Files.writeString(site.resolve("css/a.css"), "h1{}");
    }

    @Test
    void addPrintsTheRootAndEntriesAndWritesTheBlocksToTheHome() throws Exception {
        CliRunner.Run add = cli.run("ipfs", "add", site.toString(), "--json");
        assertEquals(0, add.code(), add.err());
        JsonNode j = add.json();
        Cid root = Cid.parse(j.path("root").asText());
        // the same CID as the importer gives in memory, under the default profile
        assertEquals(new UnixFsImporter(new MemoryBlockStore(1 << 20), ImportOptions.defaults()).importPath(site).root(), root);
        assertEquals("unixfs-v1-2025", j.path("profile").asText());
        assertEquals(15, j.path("bytes").asLong());
        assertEquals(3, j.path("entries").size());
        assertEquals("css/a.css", j.path("entries").get(0).path("path").asText());
        assertEquals("file", j.path("entries").get(0).path("type").asText());
        assertEquals("css", j.path("entries").get(1).path("path").asText());
        assertEquals("directory", j.path("entries").get(1).path("type").asText());
        FsBlockStore store = FsBlockStore.open(dir.resolve("home/blocks"), 1 << 20, true);
        assertTrue(store.has(root));
        assertEquals(4, store.count(), "root, css, and the two files as raw blocks");

        CliRunner.Run text = cli.run("ipfs", "add", site.toString(), "--profile", "unixfs-v0-2015");
        assertEquals(0, text.code(), text.err());
        Cid v0 = new UnixFsImporter(new MemoryBlockStore(1 << 20), ImportOptions.of(UnixFsProfile.UNIXFS_V0_2015))
                .importPath(site).root();
        assertTrue(text.out().contains("added " + v0 + " site (unixfs-v0-2015, 15 bytes)"), text.out());
        assertTrue(v0.toString().startsWith("Qm"));
        assertTrue(text.out().contains(" css/a.css"), text.out());
    }

    @Test
    void exportWritesACarOfTheWholeDag() throws Exception {
        Cid root = Cid.parse(cli.run("ipfs", "add", site.toString(), "--json").json().path("root").asText());
        Path car = dir.resolve("out.car");
        CliRunner.Run ex = cli.run("ipfs", "export", root.toString(), "--out", car.toString());
        assertEquals(0, ex.code(), ex.err());
        assertTrue(ex.out().contains("(4 blocks)"), ex.out());
        Set<Cid> cids = new HashSet<>();
        try (InputStream in = Files.newInputStream(car)) {
            Car.Reader r = new Car.Reader(in);
            assertEquals(root, r.roots().get(0));
            for (Block b; (b = r.next()) != null; ) {
                assertTrue(cids.add(b.cid()), "each block once");
            }
        }
        assertEquals(4, cids.size());
    }

    @Test
    void badInputGetsOneLineAndAnExitCode() throws Exception {
        CliRunner.Run missing = cli.run("ipfs", "add", dir.resolve("nope").toString());
        assertEquals(1, missing.code());
        assertEquals("ipns-link: no such file or directory: " + dir.resolve("nope"), missing.err().trim());

        CliRunner.Run profile = cli.run("ipfs", "add", site.toString(), "--profile", "unixfs-v2");
        assertEquals(2, profile.code());
        assertTrue(profile.err().contains("unknown UnixFS profile 'unixfs-v2' (known: unixfs-v1-2025, unixfs-v0-2015)"),
                profile.err());

        // a file whose read fails (EIO on Linux), whatever the user's rights
        CliRunner.Run unreadable = cli.run("ipfs", "add", "/proc/self/mem");
        assertEquals(1, unreadable.code());
        assertTrue(unreadable.err().startsWith("ipns-link: cannot read /proc/self/mem"), unreadable.err());
        assertFalse(unreadable.err().contains("\tat "), "no stack trace");

        CliRunner.Run notCid = cli.run("ipfs", "export", "not-a-cid");
        assertEquals(1, notCid.code());
        assertTrue(notCid.err().startsWith("ipns-link: 'not-a-cid' is not a CID"), notCid.err());

        Cid absent = Block.of(Cid.RAW, new byte[] {1}).cid();
        Path out = dir.resolve("x.car");
        CliRunner.Run notHeld = cli.run("ipfs", "export", absent.toString(), "--out", out.toString());
        assertEquals(1, notHeld.code());
        assertTrue(notHeld.err().contains("is not in the block store"), notHeld.err());
        assertFalse(Files.exists(out));

        // a DAG with a block missing: no partial file is left
        Cid root = Cid.parse(cli.run("ipfs", "add", site.toString(), "--json").json().path("root").asText());
        FsBlockStore store = FsBlockStore.open(dir.resolve("home/blocks"), 1 << 20, true);
        Cid css = Cid.parse(cli.run("ipfs", "add", site.resolve("css").toString(), "--json").json().path("root").asText());
        assertTrue(store.remove(css));
        CliRunner.Run broken = cli.run("ipfs", "export", root.toString(), "--out", out.toString());
        assertEquals(1, broken.code());
        assertTrue(broken.err().contains("block " + css + " is not in the block store"), broken.err());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(dir.resolve("x.car.part")));
    }
}
