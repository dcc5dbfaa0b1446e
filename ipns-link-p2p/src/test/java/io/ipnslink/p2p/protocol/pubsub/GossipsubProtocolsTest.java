package io.ipnslink.p2p.protocol.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.pubsub.PubsubNet.Node;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlGraft;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlMessage;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlPrune;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.RPC;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Our router with peers that only speak /floodsub/1.0.0 or /meshsub/1.0.0 (raw RPC peers). */
class GossipsubProtocolsTest {
    private final PubsubNet net = new PubsubNet();

    @AfterEach
    void close() {
        net.close();
    }

    private static Stream rawPeer(Host raw, Node victim, String protocol, LinkedBlockingQueue<RPC> received)
            throws Exception {
        raw.addProtocol(ProtocolBinding.of(protocol, s -> s.channel().pipeline()
                .addLast(new FrameReader(1 << 20, "test RPC"), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                        received.add(RPC.parseFrom((byte[]) msg));
                    }
                })));
        return raw.newStream(victim.host().peerId(), victim.host().listenAddresses(), protocol).get(20, TimeUnit.SECONDS);
    }

    private static void send(Stream s, RPC rpc) {
        s.channel().writeAndFlush(Frames.encode(s.channel().alloc(), rpc.toByteArray()));
    }

    private static RPC subscribe(String topic) {
        return RPC.newBuilder().addSubscriptions(RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid(topic)).build();
    }

    @Test
    void aFloodsubPeerGetsEveryMessageAndNoControl() throws Exception {
        Node ours = net.node();
        ours.gossipsub().subscribe("t", m -> { });
        LinkedBlockingQueue<RPC> received = new LinkedBlockingQueue<>();
        Stream s = rawPeer(net.plainHost(), ours, Gossipsub.FLOODSUB, received);
        send(s, subscribe("t"));
        send(s, RPC.newBuilder().setControl(ControlMessage.newBuilder().addGraft(ControlGraft.newBuilder()
                .setTopicID("t"))).build()); // floodsub has no control: ignored
        PubsubNet.await("ours sees the floodsub peer in t", () -> ours.gossipsub().topicPeers("t").size() == 1);
        for (int i = 0; i < 5; i++) {
            ours.gossipsub().heartbeat();
        }
        assertTrue(ours.gossipsub().meshPeers("t").isEmpty(), "floodsub peers are never in the mesh");
        assertEquals(1, ours.gossipsub().publish("t", "x".getBytes(StandardCharsets.US_ASCII)).get(5, TimeUnit.SECONDS));
        PubsubNet.await("the floodsub peer got the message", () -> received.stream().anyMatch(r -> r.getPublishCount() == 1));
        assertTrue(received.stream().noneMatch(RPC::hasControl), "no control messages to floodsub peers");
    }

    @Test
    void aMeshsub10PeerIsGraftedAndPrunedWithoutBackoffField() throws Exception {
        Node ours = net.node();
        ours.gossipsub().subscribe("t", m -> { });
        LinkedBlockingQueue<RPC> received = new LinkedBlockingQueue<>();
        Host raw = net.plainHost();
        Stream s = rawPeer(raw, ours, Gossipsub.MESHSUB_V10, received);
        send(s, subscribe("t"));
        PubsubNet.await("grafted by ours", () -> ours.gossipsub().meshPeers("t").contains(raw.peerId()));
        PubsubNet.await("GRAFT received", () -> received.stream().anyMatch(r -> r.getControl().getGraftCount() > 0));
        ours.gossipsub().unsubscribe("t");
        PubsubNet.await("PRUNE received", () -> received.stream().anyMatch(r -> r.getControl().getPruneCount() > 0));
        for (RPC r : List.copyOf(received)) {
            for (ControlPrune p : r.getControl().getPruneList()) {
                assertFalse(p.hasBackoff(), "meshsub 1.0 has no back-off field");
                assertEquals(0, p.getPeersCount(), "no peer exchange");
            }
        }
    }
}
