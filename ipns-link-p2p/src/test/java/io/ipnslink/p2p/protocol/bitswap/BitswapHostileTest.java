package io.ipnslink.p2p.protocol.bitswap;

import static io.ipnslink.p2p.protocol.bitswap.BitswapNet.connect;
import static io.ipnslink.p2p.protocol.bitswap.BitswapNet.failure;
import static io.ipnslink.p2p.protocol.bitswap.BitswapNet.frame;
import static io.ipnslink.p2p.protocol.bitswap.BitswapNet.sendRaw;
import static io.ipnslink.p2p.protocol.bitswap.BitswapNet.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Hostile peers against our bitswap node: wrong blocks, too many wants, oversized messages, floods, silence. */
class BitswapHostileTest {
    private final BitswapNet net = new BitswapNet();

    @AfterEach
    void close() throws Exception {
        net.close();
    }

    static Cid cid(int i) {
        return Cid.v1(Cid.RAW, Multihash.sha256(ByteBuffer.allocate(4).putInt(i).array()));
    }

    static List<BitswapMessage.Entry> wantBlocks(int from, int count) {
        List<BitswapMessage.Entry> out = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            out.add(BitswapMessage.Entry.want(cid(i), BitswapMessage.WantType.BLOCK, false));
        }
        return out;
    }

    @Test
    void aBlockThatDoesNotMatchItsCidIsDroppedAndTheSenderMarkedThenDisconnected() throws Exception {
        Bitswap client = net.node(null, BitswapConfig.defaults().withMaxBadBlocks(3));
        BitswapNet.RawPeer liar = net.rawPeer();
        connect(client.host(), liar.host());
        Block real = Block.of(Cid.RAW, "the real block".getBytes());
        CompletableFuture<Block> f = client.fetch(real.cid(), List.of(liar.host().peerId()), Duration.ofSeconds(20));

        BitswapMessage want = liar.received().poll(20, TimeUnit.SECONDS);
        assertNotNull(want, "the liar got our want");
        assertEquals(real.cid(), want.wantlist().get(0).cid());
        assertEquals(BitswapMessage.WantType.BLOCK, want.wantlist().get(0).wantType());
        // the liar answers with other bytes under the wanted CID's prefix
        BitswapMessage.Payload forged = new BitswapMessage.Payload(BitswapMessage.Prefix.of(real.cid()),
                "forged bytes".getBytes());
        sendRaw(liar.host(), client.host(), frame(new BitswapMessage(false, List.of(), List.of(forged), List.of(), 0)));
        PeerId liarId = liar.host().peerId();
        waitUntil(() -> client.ledger(liarId).map(l -> l.badBlocks() == 1).orElse(false), "a bad block in the ledger");
        assertFalse(f.isDone(), "the forged block did not complete the fetch");
        assertEquals(0, client.ledger(liarId).orElseThrow().blocksReceived());

        // two more: the liar is disconnected, and the fetch fails instead of hanging
        sendRaw(liar.host(), client.host(), frame(new BitswapMessage(false, List.of(), List.of(forged, forged),
                List.of(), 0)));
        waitUntil(() -> client.host().connection(liarId).isEmpty(), "the liar disconnected");
        Throwable e = failure(f);
        assertInstanceOf(Bitswap.NotFoundException.class, e, e.toString());
    }

    @Test
    void aReceivedBlockIsHashedOnceOnArrival() throws Exception {
        Bitswap client = net.node(null, BitswapConfig.defaults());
        BitswapNet.RawPeer peer = net.rawPeer();
        connect(client.host(), peer.host());
        PeerId peerId = peer.host().peerId();
        Block real = Block.of(Cid.RAW, "hashed once on arrival".getBytes());
        CompletableFuture<io.ipnslink.core.ipfs.VerifiedBlock> f = client.fetchVerified(real.cid(), List.of(peerId),
                Duration.ofSeconds(20));
        assertNotNull(peer.received().poll(20, TimeUnit.SECONDS));
        try (io.ipnslink.core.testing.CountingSha256 hashes = io.ipnslink.core.testing.CountingSha256.install()) {
            sendRaw(peer.host(), client.host(), frame(new BitswapMessage(false, List.of(),
                    List.of(BitswapMessage.Payload.of(real)), List.of(), 0)));
            assertEquals(real, f.get(20, TimeUnit.SECONDS).block());
            assertEquals(1, hashes.count(real.cid().multihash().digest()));
        }
    }

    @Test
    void aBlockFromAPeerThatMatchesTheWantIsAcceptedEvenUnasked() throws Exception {
        Bitswap client = net.node(null, BitswapConfig.defaults());
        BitswapNet.RawPeer helper = net.rawPeer();
        connect(client.host(), helper.host());
        Block real = Block.of(Cid.DAG_PB, "a node".getBytes());
        CompletableFuture<Block> f = client.fetch(real.cid(), List.of(helper.host().peerId()), Duration.ofSeconds(20));
        assertNotNull(helper.received().poll(20, TimeUnit.SECONDS));
        // 1.0.0 style bare data is hashed too (CIDv0); the want is by multihash
        sendRaw(helper.host(), client.host(), frame(new BitswapMessage(false, List.of(),
                List.of(BitswapMessage.Payload.of(real)), List.of(), 0)));
        assertEquals(real, f.get(20, TimeUnit.SECONDS));
        // the same block again is a duplicate, not a bad block
        sendRaw(helper.host(), client.host(), frame(new BitswapMessage(false, List.of(),
                List.of(BitswapMessage.Payload.of(real)), List.of(), 0)));
        waitUntil(() -> client.ledger(helper.host().peerId()).map(l -> l.duplicateBlocks() == 1).orElse(false), "dup");
        assertEquals(0, client.ledger(helper.host().peerId()).orElseThrow().badBlocks());
    }

    @Test
    void wantsBeyondThePerPeerLimitAreRefusedCancelRemovesAndFullReplaces() throws Exception {
        Bitswap server = net.node(new MemoryBlockStore(1024), BitswapConfig.defaults());
        Host stranger = net.host();
        PeerId id = stranger.peerId();
        sendRaw(stranger, server.host(), frame(BitswapMessage.wants(wantBlocks(0, 1100))));
        waitUntil(() -> server.ledger(id).map(l -> l.wantsRefused() == 76).orElse(false), "76 refused");
        assertEquals(BitswapConfig.DEFAULT_MAX_WANTS_PER_PEER, server.ledger(id).orElseThrow().wants());

        List<BitswapMessage.Entry> cancels = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            cancels.add(BitswapMessage.Entry.cancel(cid(i)));
        }
        sendRaw(stranger, server.host(), frame(BitswapMessage.wants(cancels)));
        waitUntil(() -> server.ledger(id).orElseThrow().wants() == 1014, "cancels applied");

        sendRaw(stranger, server.host(), frame(new BitswapMessage(true, wantBlocks(5000, 5), List.of(), List.of(), 0)));
        waitUntil(() -> server.ledger(id).orElseThrow().wants() == 5, "the full wantlist replaced the rest");
        assertEquals(5, server.serverWants());
    }

    @Test
    void anOversizedMessageIsRefusedAndTheStreamReset() throws Exception {
        MemoryBlockStore store = new MemoryBlockStore(1 << 20);
        Block b = Block.of(Cid.RAW, "still served".getBytes());
        store.put(b);
        Bitswap server = net.node(store, BitswapConfig.defaults());
        Host stranger = net.host();
        byte[] wire = new byte[70_000];
        // announces 4 MiB + 1, then sends some of it
        wire[0] = (byte) 0x81;
        wire[1] = (byte) 0x80;
        wire[2] = (byte) 0x80;
        wire[3] = 0x02;
        io.ipnslink.p2p.Stream s = sendRaw(stranger, server.host(), wire);
        waitUntil(() -> server.ledger(stranger.peerId()).map(l -> l.malformedMessages() == 1).orElse(false),
                "the oversized message counted");
        assertEquals(0, server.serverWants());
        s.channel().closeFuture().await(20, TimeUnit.SECONDS);
        assertFalse(s.channel().isOpen(), "reset");

        // a message that is not protobuf is counted too, and the peer is still served afterwards
        sendRaw(stranger, server.host(), new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        waitUntil(() -> server.ledger(stranger.peerId()).orElseThrow().malformedMessages() == 2, "malformed counted");
        Bitswap client = net.node(null, BitswapConfig.defaults());
        connect(client.host(), server.host());
        assertEquals(b, client.fetch(b.cid(), List.of(), Duration.ofSeconds(20)).get(20, TimeUnit.SECONDS));
    }

    @Test
    void aFloodOfWantsFromManyPeersStaysWithinTheBounds() throws Exception {
        BitswapConfig config = BitswapConfig.defaults().withMaxWantsPerPeer(100).withMaxTotalWants(250);
        Bitswap server = net.node(new MemoryBlockStore(1024), config);
        List<Host> flooders = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            flooders.add(net.host());
        }
        int sent = 0;
        for (int round = 0; round < 10; round++) {
            for (int p = 0; p < 3; p++) {
                sendRaw(flooders.get(p), server.host(), frame(BitswapMessage.wants(wantBlocks(p * 100_000 + round * 100, 100))));
                sent += 100;
                assertTrue(server.serverWants() <= 250, "total wants " + server.serverWants());
            }
        }
        int total = sent;
        waitUntil(() -> flooders.stream().mapToLong(h -> server.ledger(h.peerId())
                .map(l -> l.wantsRefused() + l.wants()).orElse(0L)).sum() == total, "every want counted");
        assertEquals(250, server.serverWants());
        for (Host h : flooders) {
            assertTrue(server.ledger(h.peerId()).orElseThrow().wants() <= 100);
        }
        // a peer that leaves frees its share
        Host first = flooders.get(0);
        int before = server.ledger(first.peerId()).orElseThrow().wants();
        first.close();
        waitUntil(() -> server.serverWants() == 250 - before, "the leaver's wants dropped");
        assertTrue(server.ledger(first.peerId()).isEmpty());
    }

    @Test
    void aSilentPeerEndsInATimeoutAndTheWantIsCancelled() throws Exception {
        Bitswap client = net.node(null, BitswapConfig.defaults());
        BitswapNet.RawPeer silent = net.rawPeer();
        connect(client.host(), silent.host());
        Cid c = cid(42);
        Throwable e = failure(client.fetch(c, List.of(silent.host().peerId()), Duration.ofMillis(300)));
        assertInstanceOf(P2pException.Timeout.class, e);
        assertEquals(0, client.clientWants());
        BitswapMessage want = silent.received().poll(20, TimeUnit.SECONDS);
        assertNotNull(want);
        assertFalse(want.wantlist().get(0).cancel());
        BitswapMessage cancel = silent.received().poll(20, TimeUnit.SECONDS);
        assertNotNull(cancel, "the timeout sent a cancel");
        assertTrue(cancel.wantlist().get(0).cancel());
    }

    @Test
    void tooManyDistinctWantsAtOnceAreRefusedAtTheClient() throws Exception {
        Bitswap client = net.node(null, BitswapConfig.defaults().withMaxClientWants(4));
        BitswapNet.RawPeer silent = net.rawPeer();
        connect(client.host(), silent.host());
        List<CompletableFuture<Block>> fs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fs.add(client.fetch(cid(i), List.of(silent.host().peerId()), Duration.ofSeconds(20)));
        }
        assertInstanceOf(Bitswap.WantlistFullException.class, failure(
                client.fetch(cid(99), List.of(silent.host().peerId()), Duration.ofSeconds(20))));
        // the same CID again shares the want and is not refused
        fs.add(client.fetch(cid(0), List.of(silent.host().peerId()), Duration.ofSeconds(20)));
        assertFalse(fs.get(4).isDone());
        assertEquals(4, client.clientWants());
        fs.forEach(f -> f.cancel(true));
        waitUntil(() -> client.clientWants() == 0, "cancelled callers release their wants");
    }

    @Test
    void aFetchWithoutAConnectedPeerFailsAtOnce() throws Exception {
        Bitswap client = net.node(null, BitswapConfig.defaults());
        Host stranger = net.host();
        assertInstanceOf(P2pException.ConnectionClosed.class,
                failure(client.fetch(cid(1), List.of(stranger.peerId()), Duration.ofSeconds(5))));
    }


    @Test
    void ledgersAreBoundedAndAFurtherPeerIsRefused() throws Exception {
        Bitswap server = net.node(new MemoryBlockStore(1024), BitswapConfig.defaults().withMaxPeers(2));
        Host a = net.host();
        Host b = net.host();
        Host c = net.host();
        sendRaw(a, server.host(), frame(BitswapMessage.wants(wantBlocks(0, 1))));
        sendRaw(b, server.host(), frame(BitswapMessage.wants(wantBlocks(1, 1))));
        waitUntil(() -> server.peers() == 2, "two ledgers");
        io.ipnslink.p2p.Stream s = c.newStream(server.host().peerId(), server.host().listenAddresses(),
                Bitswap.PROTOCOL_1_2_0).get(10, TimeUnit.SECONDS);
        s.channel().writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(frame(BitswapMessage.wants(wantBlocks(2, 1)))));
        assertTrue(s.channel().closeFuture().await(20, TimeUnit.SECONDS), "the third peer's stream is reset");
        assertTrue(server.ledger(c.peerId()).isEmpty());
        assertEquals(2, server.serverWants());
    }

    @Test
    void inboundStreamsPerPeerAreBounded() throws Exception {
        Bitswap server = net.node(new MemoryBlockStore(1024), BitswapConfig.defaults());
        Host stranger = net.host();
        List<io.ipnslink.p2p.Stream> open = new ArrayList<>();
        for (int i = 0; i < BitswapConfig.DEFAULT_MAX_INBOUND_STREAMS_PER_PEER; i++) {
            open.add(stranger.newStream(server.host().peerId(), server.host().listenAddresses(), Bitswap.PROTOCOL_1_2_0)
                    .get(10, TimeUnit.SECONDS));
        }
        waitUntil(() -> server.ledger(stranger.peerId()).isPresent(), "a ledger");
        io.ipnslink.p2p.Stream extra = stranger.newStream(server.host().peerId(), server.host().listenAddresses(),
                Bitswap.PROTOCOL_1_2_0).get(10, TimeUnit.SECONDS);
        assertTrue(extra.channel().closeFuture().await(20, TimeUnit.SECONDS), "one stream too many is reset");
        for (io.ipnslink.p2p.Stream s : open) {
            assertTrue(s.channel().isOpen());
        }
    }

    @Test
    void anIdleInboundStreamIsReset() throws Exception {
        Bitswap server = net.node(new MemoryBlockStore(1024),
                BitswapConfig.defaults().withIdleTimeout(Duration.ofMillis(200)));
        Host stranger = net.host();
        io.ipnslink.p2p.Stream s = stranger.newStream(server.host().peerId(), server.host().listenAddresses(),
                Bitswap.PROTOCOL_1_2_0).get(10, TimeUnit.SECONDS);
        s.channel().writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {(byte) 0x85})).sync();
        assertTrue(s.channel().closeFuture().await(20, TimeUnit.SECONDS), "reset after the idle time");
        assertEquals(0, server.ledger(stranger.peerId()).map(Ledger.Snapshot::messagesReceived).orElse(0L));
    }
}
