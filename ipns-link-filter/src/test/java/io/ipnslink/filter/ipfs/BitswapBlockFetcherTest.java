package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.unixfs.BlockUnavailableException;
import io.ipnslink.filter.proxy.AddressPolicy;
import io.ipnslink.filter.resolve.DnsJavaAddressLookup;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.bitswap.Bitswap;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fetcher's peers on loopback: the hinted peer dialed at its addresses and asked first, at
 * most {@link BitswapBlockFetcher#MAX_OTHER_PEERS} other connected bitswap peers (a crowd of
 * strangers connecting does not make one fetch ask them all), DONT_HAVE everywhere = not found.
 */
class BitswapBlockFetcherTest {
    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private Bitswap node(MemoryBlockStore store) throws Exception {
        Host h = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        closing.add(h);
        Bitswap b = Bitswap.builder(h).blockStore(store).build().start();
        closing.add(b);
        return b;
    }

    private BitswapBlockFetcher fetcher(Bitswap gateway, PeerHints hints) {
        return new BitswapBlockFetcher(gateway, false, hints,
                new AddressPolicy(true, new DnsJavaAddressLookup(List.of(), Duration.ofSeconds(2)), Duration.ofSeconds(2)),
                Duration.ofSeconds(5));
    }

    @Test
    void theHintedPeerIsDialedAndAskedAndStrangersAreBounded() throws Exception {
        Bitswap gateway = node(null);
        PeerHints hints = new PeerHints();
        BitswapBlockFetcher f = fetcher(gateway, hints);
        List<Bitswap> strangers = new ArrayList<>();
        for (int i = 0; i < BitswapBlockFetcher.MAX_OTHER_PEERS + 4; i++) {
            Bitswap s = node(null);
            strangers.add(s);
            s.host().connect(gateway.host().peerId(), gateway.host().listenAddresses()).get(10, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (gateway.host().connections().stream().anyMatch(c -> c.identifyInfo().isEmpty())
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(BitswapBlockFetcher.MAX_OTHER_PEERS, f.peers(null).size());

        MemoryBlockStore siteStore = new MemoryBlockStore(1 << 20);
        Block block = Block.of(Cid.RAW, "a block only the site has".getBytes(StandardCharsets.UTF_8));
        siteStore.put(block);
        Bitswap site = node(siteStore);
        assertTrue(hints.register("r1", new PeerHints.Hint(site.host().peerId(), site.host().listenAddresses(), "site")));
        io.ipnslink.core.ipfs.VerifiedBlock got = f.fetch(block.cid(), "r1").get(10, TimeUnit.SECONDS);
        assertArrayEquals(block.data(), got.data());
        List<PeerId> asked = f.peers(site.host().peerId());
        assertEquals(site.host().peerId(), asked.get(0), "the hinted peer first");
        assertEquals(BitswapBlockFetcher.MAX_OTHER_PEERS + 1, asked.size());
        assertEquals(1, site.ledger(gateway.host().peerId()).orElseThrow().blocksSent());
    }

    @Test
    void everyPeerSayingDontHaveIsNotFoundAndNoPeerToo() throws Exception {
        Bitswap gateway = node(null);
        BitswapBlockFetcher f = fetcher(gateway, new PeerHints());
        Cid missing = Block.of(Cid.RAW, "nobody".getBytes(StandardCharsets.UTF_8)).cid();
        assertEquals(BlockUnavailableException.Reason.NOT_FOUND, reason(f, missing, "r0"));
        Bitswap other = node(new MemoryBlockStore(1 << 20));
        other.host().connect(gateway.host().peerId(), gateway.host().listenAddresses()).get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (f.peers(null).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(BlockUnavailableException.Reason.NOT_FOUND, reason(f, missing, "r1"));
    }

    private static BlockUnavailableException.Reason reason(BitswapBlockFetcher f, Cid cid, String id) throws Exception {
        try {
            f.fetch(cid, id).get(10, TimeUnit.SECONDS);
            throw new AssertionError("fetched a block nobody has");
        } catch (ExecutionException e) {
            return ((BlockUnavailableException) e.getCause()).reason();
        }
    }
}
