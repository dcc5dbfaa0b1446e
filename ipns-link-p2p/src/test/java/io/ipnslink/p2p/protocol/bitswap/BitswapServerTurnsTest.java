package io.ipnslink.p2p.protocol.bitswap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.multiformats.Cid;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The server's turns, without a network: two peers with 30 wanted blocks each, one worker, one
 * block per message, sends that complete at once. Each peer whose answer went out queues behind
 * the other, so the turns alternate exactly. (Over a real network a peer whose last answer is still
 * being written sits its turn out, so the other may get several in a row: see BitswapTest.)
 */
class BitswapServerTurnsTest {
    @Test
    void twoReadyPeersTakeTurns() throws Exception {
        Random rnd = new Random(7);
        MemoryBlockStore store = new MemoryBlockStore(1 << 24);
        List<Block> forA = new ArrayList<>();
        List<Block> forB = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            forA.add(BitswapTest.randomBlock(rnd, 16 * 1024, Cid.RAW));
            forB.add(BitswapTest.randomBlock(rnd, 16 * 1024, Cid.RAW));
        }
        forA.forEach(store::put);
        forB.forEach(store::put);
        ExecutorService worker = Executors.newSingleThreadExecutor();
        CountDownLatch gate = new CountDownLatch(1);
        worker.execute(() -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        List<PeerId> order = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(60);
        BitswapServer server = new BitswapServer(Optional.of(store),
                BitswapConfig.defaults().withWorkers(1).withMaxBatchBytes(16 * 1024), worker, (l, m) -> {
                    for (int i = 0; i < m.blocks().size(); i++) {
                        order.add(l.peer);
                        all.countDown();
                    }
                    return CompletableFuture.completedFuture(null);
                });
        Ledger a = new Ledger(peer(1));
        Ledger b = new Ledger(peer(2));
        server.received(a, true, wants(forA));
        server.received(b, true, wants(forB));
        gate.countDown();
        assertTrue(all.await(20, TimeUnit.SECONDS), "60 blocks sent: " + order.size());
        worker.shutdown();
        for (int i = 0; i < 60; i++) {
            assertEquals(i % 2 == 0 ? a.peer : b.peer, order.get(i), "turn " + i + " of " + order);
        }
    }

    private static List<BitswapMessage.Entry> wants(List<Block> blocks) {
        return blocks.stream().map(x -> BitswapMessage.Entry.want(x.cid(), BitswapMessage.WantType.BLOCK, true)).toList();
    }

    private static PeerId peer(int n) {
        return PeerId.fromPubKey(io.ipnslink.core.crypto.PrivKey.generateEd25519().publicKey());
    }
}
