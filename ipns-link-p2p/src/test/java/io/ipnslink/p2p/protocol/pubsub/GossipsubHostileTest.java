package io.ipnslink.p2p.protocol.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.pubsub.GossipsubConfig.SignaturePolicy;
import io.ipnslink.p2p.protocol.pubsub.PubsubNet.Node;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlGraft;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlIHave;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlIWant;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlMessage;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlPrune;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.Message;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.RPC;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A peer that speaks raw pubsub RPC frames against our router: every bound holds, bad frames close the stream. */
class GossipsubHostileTest {
    static final int MAX_SEEN = 100;
    static final long MAX_CACHE = 64 * 1024;
    static final int MAX_TOPICS = 10;
    static final int MAX_VALIDATIONS = 4;

    private final PubsubNet net = new PubsubNet();
    private Node victim;
    private Host attacker;
    private Stream stream;
    private final LinkedBlockingQueue<RPC> toAttacker = new LinkedBlockingQueue<>();

    @BeforeEach
    void setUp() throws Exception {
        GossipsubConfig config = PubsubNet.FAST.withSignaturePolicy(SignaturePolicy.STRICT_NO_SIGN)
                .withBounds(64 * 1024, MAX_SEEN, MAX_CACHE, 16, 8, MAX_TOPICS, MAX_VALIDATIONS);
        victim = net.node(config);
        victim.gossipsub().subscribe("t", m -> { });
        attacker = net.plainHost();
        // the attacker reads what the victim writes to it (frames of RPCs)
        attacker.addProtocol(new ProtocolBinding(Gossipsub.PROTOCOLS, s -> s.channel().pipeline()
                .addLast(new FrameReader(4 * 1024 * 1024, "test RPC"), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                        toAttacker.add(RPC.parseFrom((byte[]) msg));
                    }
                })));
        stream = attacker.newStream(victim.host().peerId(), victim.host().listenAddresses(), Gossipsub.MESHSUB_V11)
                .get(20, TimeUnit.SECONDS);
        PubsubNet.await("victim knows the attacker", () -> victim.gossipsub().peers().contains(attacker.peerId()));
    }

    @AfterEach
    void close() {
        net.close();
    }

    private void send(RPC rpc) {
        stream.channel().writeAndFlush(Frames.encode(stream.channel().alloc(), rpc.toByteArray()));
    }

    private void sendRaw(byte[] bytes) {
        stream.channel().writeAndFlush(Unpooled.wrappedBuffer(bytes));
    }

    private static Message message(String topic, int i, int size) {
        byte[] data = new byte[size];
        byte[] n = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, data, 0, n.length);
        return Message.newBuilder().setTopic(topic).setData(ByteString.copyFrom(data)).build();
    }

    @Test
    void anOversizedFrameClosesTheStream() throws Exception {
        // a length prefix announcing 2 MiB against the victim's 64 KiB limit
        sendRaw(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01, 1, 2, 3});
        stream.channel().closeFuture().await(PubsubNet.WAIT.toMillis());
        assertFalse(stream.channel().isActive(), "the victim reset the stream");
        PubsubNet.await("malformed counted", () -> victim.gossipsub().stats().malformed() == 1);
    }

    @Test
    void aFrameThatIsNotProtobufClosesTheStream() throws Exception {
        ByteBuf frame = Frames.encode(Unpooled.buffer().alloc(), new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
        byte[] b = new byte[frame.readableBytes()];
        frame.readBytes(b);
        frame.release();
        sendRaw(b);
        stream.channel().closeFuture().await(PubsubNet.WAIT.toMillis());
        assertFalse(stream.channel().isActive());
        PubsubNet.await("malformed counted", () -> victim.gossipsub().stats().malformed() == 1);
    }

    @Test
    void aFloodOfMessagesCannotGrowTheSeenCacheOrTheMessageCache() throws Exception {
        int n = 3000;
        // in batches of 300, each handled before the next goes: the caches' bounds are the point here,
        // not the connection's inbound buffer (on a loaded machine the victim may fall behind a
        // 3 MiB burst and reset the stream, which is that other bound doing its job)
        for (int batch = 0; batch < n / 300; batch++) {
            for (int i = batch * 300; i < (batch + 1) * 300; i++) {
                send(RPC.newBuilder().addPublish(message("t", i, 1024)).build());
            }
            long expected = (batch + 1) * 300L;
            PubsubNet.await("messages handled: " + expected, () -> victim.gossipsub().stats().delivered() == expected);
            Gossipsub.Stats now = victim.gossipsub().stats();
            assertTrue(now.seen() <= MAX_SEEN && now.cachedBytes() <= MAX_CACHE, "bounded after " + expected + ": " + now);
        }
        Gossipsub.Stats s = victim.gossipsub().stats();
        assertTrue(s.seen() <= MAX_SEEN, "seen cache bounded: " + s);
        assertTrue(s.cachedBytes() <= MAX_CACHE, "message cache bounded: " + s);
        // a message the victim still remembers is a duplicate; one it forgot is handled again (bounded
        // memory is worth a late duplicate)
        send(RPC.newBuilder().addPublish(message("t", n - 1, 1024)).build());
        send(RPC.newBuilder().addPublish(message("t", 0, 1024)).build());
        PubsubNet.await("old one handled again", () -> victim.gossipsub().stats().delivered() == n + 1);
    }

    @Test
    void subscriptionsPerPeerAreBounded() throws Exception {
        RPC.Builder b = RPC.newBuilder();
        for (int i = 0; i < 1000; i++) {
            b.addSubscriptions(RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid("topic-" + i));
        }
        send(b.build());
        PubsubNet.await("first topics tracked", () -> victim.gossipsub().topicPeers("topic-0").contains(attacker.peerId()));
        for (int i = MAX_TOPICS; i < 1000; i += 97) {
            assertTrue(victim.gossipsub().topicPeers("topic-" + i).isEmpty(), "topic-" + i + " not tracked");
        }
    }

    @Test
    void pendingValidationsAreBounded() throws Exception {
        victim.gossipsub().subscribe("slow", m -> { });
        victim.gossipsub().setValidator("slow", m -> new CompletableFuture<>()); // never answers
        for (int i = 0; i < 50; i++) {
            send(RPC.newBuilder().addPublish(message("slow", i, 10)).build());
        }
        PubsubNet.await("the rest ignored", () -> victim.gossipsub().stats().ignored() >= 50 - MAX_VALIDATIONS);
        assertEquals(MAX_VALIDATIONS, victim.gossipsub().stats().pendingValidations());
    }

    @Test
    void unsignedMessagesAreRejectedUnderStrictSign() throws Exception {
        Node strict = net.node();
        strict.gossipsub().subscribe("t", m -> { });
        Stream s = attacker.newStream(strict.host().peerId(), strict.host().listenAddresses(), Gossipsub.MESHSUB_V11)
                .get(20, TimeUnit.SECONDS);
        PubsubNet.await("strict knows the attacker", () -> strict.gossipsub().peers().contains(attacker.peerId()));
        Message forged = message("t", 1, 10).toBuilder().setFrom(ByteString.copyFrom(attacker.peerId().bytes()))
                .setSeqno(ByteString.copyFrom(new byte[8])).setSignature(ByteString.copyFrom(new byte[64])).build();
        for (Message m : List.of(message("t", 0, 10), forged)) {
            s.channel().writeAndFlush(Frames.encode(s.channel().alloc(), RPC.newBuilder().addPublish(m).build()
                    .toByteArray()));
        }
        PubsubNet.await("both rejected", () -> strict.gossipsub().stats().rejected() == 2);
        assertEquals(0, strict.gossipsub().stats().delivered());
        assertTrue(strict.gossipsub().score(attacker.peerId()) < 0);
    }

    @Test
    void graftDuringBackoffIsPenalisedAndPrunedAgain() throws Exception {
        send(RPC.newBuilder().addSubscriptions(RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid("t"))
                .setControl(ControlMessage.newBuilder().addGraft(ControlGraft.newBuilder().setTopicID("t"))).build());
        PubsubNet.await("grafted", () -> victim.gossipsub().meshPeers("t").contains(attacker.peerId()));
        send(RPC.newBuilder().setControl(ControlMessage.newBuilder().addPrune(ControlPrune.newBuilder()
                .setTopicID("t").setBackoff(60))).build());
        PubsubNet.await("pruned", () -> !victim.gossipsub().meshPeers("t").contains(attacker.peerId()));
        for (int i = 0; i < 3; i++) {
            send(RPC.newBuilder().setControl(ControlMessage.newBuilder().addGraft(ControlGraft.newBuilder()
                    .setTopicID("t"))).build());
        }
        PubsubNet.await("penalised", () -> victim.gossipsub().score(attacker.peerId()) < 0);
        assertFalse(victim.gossipsub().meshPeers("t").contains(attacker.peerId()));
        // and the victim answered with PRUNE
        PubsubNet.await("PRUNE back", () -> toAttacker.stream().anyMatch(r -> r.getControl().getPruneCount() > 0));
    }

    @Test
    void iwantRetransmissionsAndIhaveAreBounded() throws Exception {
        send(RPC.newBuilder().addSubscriptions(RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid("t")).build());
        PubsubNet.await("subscribed", () -> victim.gossipsub().topicPeers("t").contains(attacker.peerId()));
        victim.gossipsub().publish("t", "hello".getBytes(StandardCharsets.US_ASCII)).get(5, TimeUnit.SECONDS);
        ByteString id = ByteString.copyFrom(MessageIdFunction.SHA256_OF_DATA.id(
                Message.newBuilder().setData(ByteString.copyFromUtf8("hello")).build()));
        PubsubNet.await("the publication itself arrived", () -> toAttacker.stream().anyMatch(r -> r.getPublishCount() > 0));
        toAttacker.clear();
        for (int i = 0; i < 10; i++) {
            send(RPC.newBuilder().setControl(ControlMessage.newBuilder().addIwant(ControlIWant.newBuilder()
                    .addMessageIDs(id))).build());
        }
        // and an IHAVE of far more ids than may be asked for
        ControlIHave.Builder ihave = ControlIHave.newBuilder().setTopicID("t");
        for (int i = 0; i < 6000; i++) {
            ihave.addMessageIDs(ByteString.copyFromUtf8("id-" + i));
        }
        send(RPC.newBuilder().setControl(ControlMessage.newBuilder().addIhave(ihave)).build());
        PubsubNet.await("IWANT answered", () -> toAttacker.stream().anyMatch(r -> r.getControl().getIwantCount() > 0));
        victim.gossipsub().heartbeat();
        int copies = 0;
        int asked = 0;
        for (RPC r : toAttacker) {
            copies += r.getPublishCount();
            for (ControlIWant w : r.getControl().getIwantList()) {
                asked += w.getMessageIDsCount();
            }
        }
        assertEquals(victim.gossipsub().config().maxIWantRetransmissions(), copies, "sent at most 3 times");
        assertEquals(victim.gossipsub().config().maxIHaveLength(), asked, "IWANT capped");
    }
}
