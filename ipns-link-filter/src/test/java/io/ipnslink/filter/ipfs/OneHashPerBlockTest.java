package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.testing.CountingSha256;
import io.ipnslink.core.unixfs.BlockUnavailableException;
import io.ipnslink.filter.proxy.AddressPolicy;
import io.ipnslink.filter.resolve.DnsJavaAddressLookup;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.bitswap.Bitswap;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A block's bytes are hashed once on their way from the wire to the caches, whichever fetcher
 * brought them (bitswap: on arrival, to find the want it answers; a trustless HTTP gateway: on the
 * answer), counted by a SHA-256 provider that counts digests by their result; and bytes that do
 * not match are still refused from either kind of fetcher: nothing is returned, nothing is cached,
 * the peer is marked.
 */
class OneHashPerBlockTest {
    @TempDir
    Path dir;
    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    static void waitUntil(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    static Block random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return Block.of(Cid.RAW, b);
    }

    private static byte[] digest(Block b) {
        return b.cid().multihash().digest();
    }

    private Bitswap node(BlockStore store) throws Exception {
        Host h = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        closing.add(h);
        Bitswap b = Bitswap.builder(h).blockStore(store).build().start();
        closing.add(b);
        return b;
    }

    private CachingBlockSource source(String name, Duration timeout) throws Exception {
        CachingBlockSource s = new CachingBlockSource(BlockCache.open(dir.resolve(name), 1 << 22),
                new MemoryBlocks(1 << 22), timeout);
        closing.add(s);
        return s;
    }

    /** A gateway node fetching from {@code site} (hinted for request {@code id}) through a source. */
    private record Bitswapped(CachingBlockSource source, Bitswap gateway) {}

    private Bitswapped bitswapSource(Bitswap site, String id, Duration timeout) throws Exception {
        Bitswap gateway = node(null);
        PeerHints hints = new PeerHints();
        assertTrue(hints.register(id, new PeerHints.Hint(site.host().peerId(), site.host().listenAddresses(), "site")));
        BitswapBlockFetcher fetcher = new BitswapBlockFetcher(gateway, false, hints,
                new AddressPolicy(true, new DnsJavaAddressLookup(List.of(), Duration.ofSeconds(2)), Duration.ofSeconds(2)),
                timeout);
        return new Bitswapped(source("bitswap-" + id, timeout.plusSeconds(5)).add(fetcher), gateway);
    }

    @Test
    void aBlockFromBitswapIsHashedOnceOnArrivalAndNotAgainByTheSourceOrTheCaches() throws Exception {
        Block block = random(1, 200_000);
        MemoryBlockStore store = new MemoryBlockStore(1 << 22);
        store.put(block);
        Bitswapped b = bitswapSource(node(store), "r1", Duration.ofSeconds(10));
        try (CountingSha256 hashes = CountingSha256.install()) {
            assertArrayEquals(block.data(), b.source().get(block.cid(), "r1").data());
            assertEquals(1, hashes.count(digest(block)), "bitswap's hash on arrival, and no other");
            assertArrayEquals(block.data(), b.source().get(block.cid(), "r1").data());
            assertEquals(1, hashes.count(digest(block)), "served from memory: not hashed");
        }
        assertTrue(b.source().memory().contains(block.cid()));
        waitUntil(() -> b.source().cache().has(block.cid()), "the block on disk");
    }

    @Test
    void aBlockFromATrustlessGatewayIsHashedOnceByItsFetcher() throws Exception {
        Block block = random(2, 100_000);
        FakeTrustlessGateway upstream = new FakeTrustlessGateway();
        closing.add(upstream);
        upstream.add(List.of(block));
        CachingBlockSource source = source("http", Duration.ofSeconds(10))
                .add(new HttpBlockFetcher(upstream.base(), HttpClient.newHttpClient(), Duration.ofSeconds(5)));
        try (CountingSha256 hashes = CountingSha256.install()) {
            assertArrayEquals(block.data(), source.get(block.cid(), "r1").data());
            assertEquals(1, hashes.count(digest(block)));
            waitUntil(() -> source.cache().has(block.cid()), "the block on disk");
            assertEquals(1, hashes.count(digest(block)), "kept on disk without hashing");
        }
    }

    @Test
    void aBitswapPeerSendingOtherBytesIsRefusedMarkedAndNothingIsKept() throws Exception {
        Block real = random(3, 5000);
        MemoryBlockStore store = new MemoryBlockStore(1 << 22);
        store.put(real);
        BlockStore lying = new BlockStore() {
            @Override
            public Optional<byte[]> get(Cid cid) {
                return store.get(cid).map(d -> {
                    byte[] changed = d.clone();
                    changed[d.length / 2] ^= 1;
                    return changed;
                });
            }

            @Override
            public void put(Block block) {
                store.put(block);
            }
        };
        Bitswap liar = node(lying);
        Bitswapped b = bitswapSource(liar, "r1", Duration.ofSeconds(1));
        BlockUnavailableException e = assertThrows(BlockUnavailableException.class,
                () -> b.source().get(real.cid(), "r1"));
        assertEquals(BlockUnavailableException.Reason.TIMEOUT, e.reason(), e.getMessage());
        assertTrue(b.gateway().ledger(liar.host().peerId()).orElseThrow().badBlocks() >= 1, "the liar is marked");
        assertEquals(0, b.gateway().ledger(liar.host().peerId()).orElseThrow().blocksReceived());
        assertFalse(b.source().has(real.cid()), "nothing kept, in memory or on disk");
        assertEquals(0, b.source().memory().count());
        assertEquals(0, b.source().cache().count());
    }

    @Test
    void aTrustlessGatewaySendingOtherBytesIsRefusedAndNothingIsKept() throws Exception {
        Block real = random(4, 5000);
        FakeTrustlessGateway upstream = new FakeTrustlessGateway();
        closing.add(upstream);
        upstream.add(List.of(real));
        upstream.tampered.add(real.cid());
        CachingBlockSource source = source("http-bad", Duration.ofSeconds(10))
                .add(new HttpBlockFetcher(upstream.base(), HttpClient.newHttpClient(), Duration.ofSeconds(5)));
        BlockUnavailableException e = assertThrows(BlockUnavailableException.class, () -> source.get(real.cid(), "r1"));
        assertEquals(BlockUnavailableException.Reason.FAILED, e.reason(), e.getMessage());
        assertFalse(source.has(real.cid()));
        // not trusted for it later either: asked again (once the failed fetch is forgotten), refused again
        waitUntil(() -> {
            assertThrows(BlockUnavailableException.class, () -> source.get(real.cid(), "r2"));
            return upstream.requests.get() >= 2;
        }, "asked again");
        assertFalse(source.has(real.cid()));
        assertEquals(0, source.cache().count());
    }

    @Test
    void aFetcherHandingOverAVerifiedBlockOfAnotherCidIsRefused() throws Exception {
        Block asked = random(5, 1000);
        Block other = random(6, 1000);
        AtomicInteger fetches = new AtomicInteger();
        BlockFetcher wrong = new BlockFetcher() {
            @Override
            public String name() {
                return "wrong";
            }

            @Override
            public CompletableFuture<VerifiedBlock> fetch(Cid cid, String requestId) {
                fetches.incrementAndGet();
                return CompletableFuture.completedFuture(VerifiedBlock.verify(other.cid(), other.data()));
            }
        };
        CachingBlockSource source = source("wrong", Duration.ofSeconds(10)).add(wrong);
        BlockUnavailableException e = assertThrows(BlockUnavailableException.class, () -> source.get(asked.cid(), "r1"));
        assertEquals(BlockUnavailableException.Reason.FAILED, e.reason());
        assertFalse(source.has(asked.cid()));
        assertFalse(source.has(other.cid()), "not kept under its own CID either");
        assertEquals(1, fetches.get());
    }

    @Test
    void aCidv0AskedForIsAnsweredFromItsCidv1TwinWithoutHashing() throws Exception {
        Block v0 = Block.v0(random(7, 3000).data());
        FakeTrustlessGateway upstream = new FakeTrustlessGateway();
        closing.add(upstream);
        upstream.blocks.put(v0.cid().toV1(), v0.data());
        CachingBlockSource source = source("twin", Duration.ofSeconds(10))
                .add(new HttpBlockFetcher(upstream.base(), HttpClient.newHttpClient(), Duration.ofSeconds(5)));
        try (CountingSha256 hashes = CountingSha256.install()) {
            assertEquals(v0.cid().toV1(), source.get(v0.cid().toV1(), "r1").cid());
            Block again = source.get(v0.cid(), "r2");
            assertEquals(v0.cid(), again.cid());
            assertArrayEquals(v0.data(), again.data());
            assertEquals(1, hashes.count(digest(v0)));
        }
    }
}
