package io.ipnslink.p2p.protocol.bitswap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.Car;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.testing.NodeScript;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our bitswap against Helia 7's (@helia/bitswap, interop/bitswap-peer.mjs) on loopback: Helia cats
 * a UnixFS file (imported by ipfs-unixfs-importer, handed to us as a CAR) from our server, and our
 * client fetches a file Helia holds, block by block, verified by CID.
 */
@Tag("interop")
class BitswapJsInteropTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(45);
    static final ObjectMapper JSON = new ObjectMapper();

    static NodeScript js;
    static PeerId heliaId;
    static List<Multiaddr> heliaAddrs = new ArrayList<>();

    private final BitswapNet net = new BitswapNet();

    @BeforeAll
    static void helia() {
        js = NodeScript.start("bitswap-peer.mjs", "--timeout", "240");
        JsonNode listening = js.awaitEvent("listening", EVENT_TIMEOUT);
        heliaId = PeerId.parse(listening.path("peerId").asText());
        listening.path("addrs").forEach(a -> heliaAddrs.add(Multiaddr.parse(a.asText())));
    }

    @AfterAll
    static void stop() {
        if (js != null) {
            js.close();
        }
    }

    @AfterEach
    void close() throws Exception {
        net.close();
    }

    private static JsonNode call(ObjectNode req) {
        JsonNode answer = js.call(req, CALL_TIMEOUT);
        assertTrue(answer.path("ok").asBoolean(), answer.toString());
        return answer;
    }

    private static ObjectNode req(String op) {
        return JSON.createObjectNode().put("op", op);
    }

    private void heliaCatsFromUs(String profile, int size, int seed, Path dir) throws Exception {
        Path car = dir.resolve("file-" + profile + ".car");
        JsonNode imported = call(req("import").put("size", size).put("seed", seed).put("profile", profile)
                .put("car", car.toString()));
        MemoryBlockStore store = new MemoryBlockStore(64L << 20);
        int blocks = 0;
        try (InputStream in = Files.newInputStream(car)) {
            Car.Reader reader = new Car.Reader(in);
            assertEquals(Cid.parse(imported.path("root").asText()), reader.roots().get(0));
            for (Block b = reader.next(); b != null; b = reader.next()) {
                store.put(b);
                blocks++;
            }
        }
        assertEquals(imported.path("blocks").asInt(), blocks);
        assertTrue(blocks > 2, "a file of several blocks: " + blocks);

        Bitswap server = net.node(store, BitswapConfig.defaults());
        Multiaddr self = server.host().listenAddresses().get(0)
                .encapsulate(Multiaddr.parse("/p2p/" + server.host().peerId()));
        call(req("dial").put("addr", self.toString()));
        JsonNode cat = call(req("cat").put("cid", imported.path("root").asText()));
        assertEquals(size, cat.path("length").asInt());
        assertEquals(imported.path("sha256").asText(), cat.path("sha256").asText());
        Ledger.Snapshot ledger = server.ledger(heliaId).orElseThrow();
        assertEquals(blocks, ledger.blocksSent(), "every block came from us");
        assertEquals(Bitswap.PROTOCOL_1_2_0, ledger.protocol());
    }

    @Test
    void heliaCatsAUnixfsFileWithRawLeavesFromOurServer(@TempDir Path dir) throws Exception {
        heliaCatsFromUs("v1", 700_000, 7, dir);
    }

    @Test
    void heliaCatsAKuboStyleCidV0FileFromOurServer(@TempDir Path dir) throws Exception {
        heliaCatsFromUs("v0", 600_000, 11, dir);
    }

    @Test
    void ourClientFetchesAFileHeliaHoldsAndRebuildsIt() throws Exception {
        JsonNode added = call(req("add").put("size", 900_000).put("seed", 5).put("profile", "v1"));
        Bitswap client = net.node(null, BitswapConfig.defaults());
        client.host().connect(heliaId, heliaAddrs).get(10, TimeUnit.SECONDS);

        Cid root = Cid.parse(added.path("root").asText());
        Block rootBlock = client.fetch(root, List.of(heliaId), Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS);
        assertEquals(root, rootBlock.cid());
        assertTrue(rootBlock.matches());
        DagPb.Node node = DagPb.decode(rootBlock.data());
        assertEquals(added.path("cids").size() - 1, node.links().size());

        List<CompletableFuture<Block>> leaves = new ArrayList<>();
        for (DagPb.Link link : node.links()) {
            leaves.add(client.fetch(link.hash(), List.of(heliaId), Duration.ofSeconds(30)));
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long length = 0;
        for (int i = 0; i < leaves.size(); i++) {
            Block leaf = leaves.get(i).get(40, TimeUnit.SECONDS);
            assertEquals(node.links().get(i).hash(), leaf.cid());
            assertEquals(Cid.RAW, leaf.cid().codec());
            sha.update(leaf.data());
            length += leaf.size();
        }
        assertEquals(900_000, length);
        assertEquals(added.path("sha256").asText(), HexFormat.of().formatHex(sha.digest()));
        Ledger.Snapshot ledger = client.ledger(heliaId).orElseThrow();
        assertEquals(node.links().size() + 1, ledger.blocksReceived());
        assertEquals(0, ledger.badBlocks());
    }

    @Test
    void heliaAnswersDontHaveForWhatItLacks() throws Exception {
        Bitswap client = net.node(null, BitswapConfig.defaults());
        client.host().connect(heliaId, heliaAddrs).get(10, TimeUnit.SECONDS);
        Cid missing = Block.of(Cid.RAW, "nobody has this".getBytes()).cid();
        Throwable e = BitswapNet.failure(client.fetch(missing, List.of(heliaId), Duration.ofSeconds(20)));
        assertTrue(e instanceof Bitswap.NotFoundException, e.toString());
    }

}
