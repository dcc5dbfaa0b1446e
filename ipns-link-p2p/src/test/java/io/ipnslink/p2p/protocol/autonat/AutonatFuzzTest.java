package io.ipnslink.p2p.protocol.autonat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.fuzz.FuzzBuffers;
import io.ipnslink.p2p.protocol.autonat.pb.AutonatProtos.Message;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target for AutoNAT v1 messages as a remote peer sends them: the one-message reader (chunks
 * cut where the input says, then the remote's half-close), then, for a message, the server's
 * choice of addresses to dial back. Contract: a message or {@link P2pException.ProtocolViolation} /
 * {@link P2pException.ConnectionClosed}; the choice never throws and only ever holds TCP addresses
 * at the request's IP; every buffer is released. Seeds: a DIAL with addresses, a DIAL_RESPONSE.
 */
class AutonatFuzzTest {
    static final PeerId PEER = PrivKey.generateEd25519().peerId();
    static final AutonatService SERVICE = new AutonatService(Host.AutonatLimits.defaults().withDialPrivate(true),
            (p, t) -> CompletableFuture.failedFuture(new P2pException("not dialing")), System::nanoTime);

    static Stream<Arguments> messages() {
        Message dial = Message.newBuilder().setType(Message.MessageType.DIAL).setDial(Message.Dial.newBuilder()
                .setPeer(Message.PeerInfo.newBuilder().setId(ByteString.copyFrom(PEER.bytes()))
                        .addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/127.0.0.1/tcp/4021").bytes()))
                        .addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/127.0.0.1/tcp/4021/p2p/"
                                + PEER.toBase58() + "/p2p-circuit").bytes()))
                        .addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip6/::1/tcp/1").bytes()))))
                .build();
        Message response = Message.newBuilder().setType(Message.MessageType.DIAL_RESPONSE)
                .setDialResponse(Message.DialResponse.newBuilder().setStatus(Message.ResponseStatus.E_DIAL_ERROR)
                        .setStatusText("no").setAddr(ByteString.copyFrom(Multiaddr.parse("/ip4/1.2.3.4/tcp/5").bytes())))
                .build();
        return Stream.of(Arguments.of((Object) AutonatMessageReaderTest.frame(dial)),
                Arguments.of((Object) AutonatMessageReaderTest.frame(response)));
    }

    @MethodSource("messages")
    @FuzzTest(maxDuration = "10m")
    void autonatMessage(byte[] data) throws Exception {
        FuzzBuffers buffers = new FuzzBuffers();
        EmbeddedChannel ch = buffers.channel();
        AutonatMessageReader reader = AutonatMessageReader.install(ch, Duration.ofSeconds(10));
        buffers.feed(ch, data, 0, data.length, data.length);
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        ch.checkException();
        assertTrue(reader.result().isDone(), "the remote's half-close ends the read");
        try {
            Message m = reader.result().join();
            InetAddress source = InetAddress.getLoopbackAddress();
            var chosen = SERVICE.select(m.getDial().getPeer().getAddrsList(), PEER, source);
            for (Multiaddr a : chosen.targets()) {
                assertTrue(a.toTcpSocketAddress().orElseThrow().getAddress().equals(source), a::toString);
            }
            assertTrue(chosen.targets().size() <= Host.AutonatLimits.DEFAULT_MAX_ADDRESSES);
        } catch (CompletionException e) {
            assertTrue(e.getCause() instanceof P2pException.ProtocolViolation
                    || e.getCause() instanceof P2pException.ConnectionClosed, () -> "undocumented failure: " + e.getCause());
        }
        buffers.finishAndCheck(ch);
    }
}
