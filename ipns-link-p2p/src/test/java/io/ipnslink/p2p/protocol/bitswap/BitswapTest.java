package io.ipnslink.p2p.protocol.bitswap;

import static io.ipnslink.p2p.protocol.bitswap.BitswapNet.connect;
import static io.ipnslink.p2p.protocol.bitswap.BitswapNet.failure;
import static io.ipnslink.p2p.protocol.bitswap.BitswapNet.waitUntil;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import io.ipnslink.p2p.P2pException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Our bitswap server and client between hosts on loopback. */
class BitswapTest {
    static final Duration T = Duration.ofSeconds(20);

    private final BitswapNet net = new BitswapNet();
    private final List<ExecutorService> executors = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        net.close();
        executors.forEach(ExecutorService::shutdownNow);
    }

    static Block randomBlock(Random rnd, int size, long codec) {
        byte[] data = new byte[size];
        rnd.nextBytes(data);
        return Block.of(codec, data);
    }

    /** One worker thread that runs nothing until the returned latch is counted down. */
    private CountDownLatch gatedWorker(ExecutorService[] out) {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        executors.add(ex);
        CountDownLatch gate = new CountDownLatch(1);
        ex.execute(() -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        out[0] = ex;
        return gate;
    }

    @Test
    void aBlockIsFetchedVerifiedAndCounted() throws Exception {
        MemoryBlockStore store = new MemoryBlockStore(1 << 24);
        Block b = randomBlock(new Random(1), 100_000, Cid.RAW);
        store.put(b);
        Bitswap server = net.node(store, BitswapConfig.defaults());
        Bitswap client = net.node(null, BitswapConfig.defaults());
        connect(client.host(), server.host());

        Block got = client.fetch(b.cid(), List.of(server.host().peerId()), T).get(20, TimeUnit.SECONDS);
        assertEquals(b, got);
        assertTrue(got.matches());
        waitUntil(() -> server.ledger(client.host().peerId()).map(l -> l.blocksSent() == 1).orElse(false), "ledger");
        Ledger.Snapshot sent = server.ledger(client.host().peerId()).orElseThrow();
        assertEquals(100_000, sent.bytesSent());
        assertEquals(Bitswap.PROTOCOL_1_2_0, sent.protocol());
        Ledger.Snapshot received = client.ledger(server.host().peerId()).orElseThrow();
        assertEquals(1, received.blocksReceived());
        assertEquals(100_000, received.bytesReceived());
        assertEquals(0, received.badBlocks());
        assertEquals(0, client.clientWants());
        assertEquals(0, server.serverWants());
    }

    @Test
    void aCidV0DagPbBlockStoredUnderV1IsServedToo() throws Exception {
        MemoryBlockStore store = new MemoryBlockStore(1 << 20);
        Block v0 = Block.v0(new byte[] {0x0a, 0x02, 0x08, 0x01});
        store.put(new Block(v0.cid().toV1(), v0.data()));
        Bitswap server = net.node(store, BitswapConfig.defaults());
        Bitswap client = net.node(null, BitswapConfig.defaults());
        connect(client.host(), server.host());
        Block got = client.fetch(v0.cid(), List.of(), T).get(20, TimeUnit.SECONDS);
        assertEquals(v0.cid(), got.cid(), "named as asked");
        assertArrayEquals(v0.data(), got.data());
    }

    @Test
    void aMissingBlockIsDontHaveAndTheFetchFailsAsNotFound() throws Exception {
        Bitswap server = net.node(new MemoryBlockStore(1024), BitswapConfig.defaults());
        Bitswap client = net.node(null, BitswapConfig.defaults());
        connect(client.host(), server.host());
        Cid missing = Cid.v1(Cid.RAW, Multihash.sha256(new byte[] {1}));
        Throwable e = failure(client.fetch(missing, List.of(server.host().peerId()), T));
        assertInstanceOf(Bitswap.NotFoundException.class, e);
        assertEquals(0, client.clientWants());
        assertEquals(0, server.serverWants(), "an answered want is gone");
    }

    @Test
    void wantHaveGoesToOthersAndTheBlockComesFromOneThatHasIt() throws Exception {
        Block b = randomBlock(new Random(2), 5000, Cid.DAG_PB);
        MemoryBlockStore withIt = new MemoryBlockStore(1 << 20);
        withIt.put(b);
        Bitswap without = net.node(new MemoryBlockStore(1024), BitswapConfig.defaults());
        Bitswap with = net.node(withIt, BitswapConfig.defaults());
        Bitswap client = net.node(null, BitswapConfig.defaults());
        connect(client.host(), without.host());
        connect(client.host(), with.host());
        List<BitswapMessage> toWith = Collections.synchronizedList(new ArrayList<>());
        with.sentObserver = (p, m) -> toWith.add(m);

        Block got = client.fetch(b.cid(), List.of(without.host().peerId(), with.host().peerId()), T)
                .get(20, TimeUnit.SECONDS);
        assertEquals(b, got);
        // the peer holding it first answered the want-have with HAVE, then sent the block
        assertTrue(toWith.stream().anyMatch(m -> m.presences().contains(new BitswapMessage.Presence(b.cid(), true))),
                toWith.toString());
        assertEquals(1, with.ledger(client.host().peerId()).orElseThrow().blocksSent());
        waitUntil(() -> without.ledger(client.host().peerId()).map(l -> l.messagesReceived() >= 1).orElse(false), "w");
        assertEquals(0, without.ledger(client.host().peerId()).orElseThrow().blocksSent());
    }

    @Test
    void concurrentFetchesOfOneCidShareOneWant() throws Exception {
        Block b = randomBlock(new Random(3), 3000, Cid.RAW);
        MemoryBlockStore store = new MemoryBlockStore(1 << 20);
        store.put(b);
        ExecutorService[] ex = new ExecutorService[1];
        CountDownLatch gate = gatedWorker(ex);
        Bitswap server = net.node(store, BitswapConfig.defaults().withWorkers(1), ex[0]);
        Bitswap client = net.node(null, BitswapConfig.defaults());
        connect(client.host(), server.host());
        List<CompletableFuture<Block>> fs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            fs.add(client.fetch(b.cid(), List.of(server.host().peerId()), T));
        }
        assertEquals(1, client.clientWants());
        waitUntil(() -> server.serverWants() == 1, "the want at the server");
        gate.countDown();
        for (CompletableFuture<Block> f : fs) {
            assertEquals(b, f.get(20, TimeUnit.SECONDS));
        }
        assertEquals(1, server.ledger(client.host().peerId()).orElseThrow().blocksSent());
    }

    @Test
    void theOtherPeersGetACancelWhenTheBlockArrived() throws Exception {
        Block b = randomBlock(new Random(4), 5000, Cid.RAW);
        MemoryBlockStore store = new MemoryBlockStore(1 << 20);
        store.put(b);
        ExecutorService[] ex = new ExecutorService[1];
        CountDownLatch gate = gatedWorker(ex); // the first peer holds our want and never answers it
        Bitswap stuck = net.node(store, BitswapConfig.defaults().withWorkers(1), ex[0]);
        Bitswap with = net.node(store, BitswapConfig.defaults());
        Bitswap client = net.node(null, BitswapConfig.defaults());
        connect(client.host(), stuck.host());
        connect(client.host(), with.host());
        PeerId me = client.host().peerId();

        CompletableFuture<Block> f = client.fetch(b.cid(), List.of(stuck.host().peerId(), with.host().peerId()), T);
        assertEquals(b, f.get(20, TimeUnit.SECONDS));
        waitUntil(() -> stuck.ledger(me).map(l -> l.messagesReceived() >= 2).orElse(false), "want and cancel");
        assertEquals(0, stuck.serverWants(), "the cancel removed the want-block");
        assertEquals(0, stuck.ledger(me).orElseThrow().wants());
        gate.countDown();
    }

    @Test
    void manyBlocksForTwoPeersAreBothServed() throws Exception {
        Random rnd = new Random(5);
        MemoryBlockStore store = new MemoryBlockStore(1 << 26);
        List<Block> forA = new ArrayList<>();
        List<Block> forB = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            forA.add(randomBlock(rnd, 16 * 1024, Cid.RAW));
            forB.add(randomBlock(rnd, 16 * 1024, Cid.RAW));
        }
        forA.forEach(store::put);
        forB.forEach(store::put);
        ExecutorService[] ex = new ExecutorService[1];
        CountDownLatch gate = gatedWorker(ex);
        // one block per message, one worker: the order of messages is the order of turns
        Bitswap server = net.node(store, BitswapConfig.defaults().withWorkers(1).withMaxBatchBytes(16 * 1024), ex[0]);
        Bitswap a = net.node(null, BitswapConfig.defaults());
        Bitswap b = net.node(null, BitswapConfig.defaults());
        connect(a.host(), server.host());
        connect(b.host(), server.host());
        List<PeerId> order = Collections.synchronizedList(new ArrayList<>());
        server.sentObserver = (p, m) -> {
            for (int i = 0; i < m.blocks().size(); i++) {
                order.add(p);
            }
        };
        List<CompletableFuture<Block>> fs = new ArrayList<>();
        for (Block x : forA) {
            fs.add(a.fetch(x.cid(), List.of(server.host().peerId()), T));
        }
        for (Block x : forB) {
            fs.add(b.fetch(x.cid(), List.of(server.host().peerId()), T));
        }
        waitUntil(() -> server.serverWants() == 60, "60 wants at the server");
        gate.countDown();
        for (int i = 0; i < fs.size(); i++) {
            assertEquals(i < 30 ? forA.get(i) : forB.get(i - 30), fs.get(i).get(20, TimeUnit.SECONDS));
        }
        waitUntil(() -> order.size() == 60, "60 blocks sent");
        // both peers served throughout; the exact alternation of turns is BitswapServerTurnsTest's
        // (here a peer whose last answer is still being written sits its turn out, which a loaded
        // machine makes happen at any point)
        int na = 0;
        int nb = 0;
        int firstB = -1;
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i).equals(a.host().peerId())) {
                na++;
            } else {
                nb++;
                firstB = firstB < 0 ? i : firstB;
            }
        }
        assertEquals(30, na);
        assertEquals(30, nb);
        assertTrue(firstB < 30, "B served before A had all its blocks: first at " + firstB + " of " + order);
    }
}
