package io.ipnslink.p2p.protocol.relay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.fuzz.FuzzBuffers;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.HopMessage;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Peer;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Status;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.StopMessage;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz target for circuit relay v2 messages as a remote peer sends them on a hop or stop stream:
 * the one-message reader (chunks cut where the input says, then the remote's half-close), then the
 * hand-over of what followed. Contract: a message, or {@link P2pException.ProtocolViolation} /
 * {@link P2pException.ConnectionClosed}; a message never comes from more than the size limit;
 * every buffer is released. Seeds: a reservation grant followed by connection bytes, a stop CONNECT.
 */
class RelayFuzzTest {
    static Stream<Arguments> messages() {
        byte[] hop = frame(RelayFramesTest.sampleHop());
        byte[] trailing = "\u0013/multistream/1.0.0\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] hopAndMore = new byte[hop.length + trailing.length];
        System.arraycopy(hop, 0, hopAndMore, 0, hop.length);
        System.arraycopy(trailing, 0, hopAndMore, hop.length, trailing.length);
        byte[] stop = frame(StopMessage.newBuilder().setType(StopMessage.Type.CONNECT)
                .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(new byte[] {0, 4, 1, 2, 3, 4}))).build());
        byte[] status = frame(HopMessage.newBuilder().setType(HopMessage.Type.STATUS)
                .setStatus(Status.NO_RESERVATION).build());
        return Stream.of(Arguments.of((Object) hopAndMore), Arguments.of((Object) stop), Arguments.of((Object) status));
    }

    private static byte[] frame(com.google.protobuf.MessageLite m) {
        var b = RelayFrames.encode(ByteBufAllocator.DEFAULT, m);
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    /** The bytes a remote writes on a hop stream; parsed as a HopMessage and as a StopMessage. */
    @MethodSource("messages")
    @FuzzTest(maxDuration = "10m")
    void relayMessage(byte[] data) {
        read(data, HopMessage.parser());
        read(data, StopMessage.parser());
    }

    private static <T> void read(byte[] data, com.google.protobuf.Parser<T> parser) {
        FuzzBuffers buffers = new FuzzBuffers();
        EmbeddedChannel ch = buffers.channel();
        RelayMessageReader<T> reader = RelayMessageReader.install(ch, parser, Duration.ofSeconds(10));
        buffers.feed(ch, data, 0, data.length, data.length);
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        ch.checkException();
        assertTrue(reader.result().isDone(), "the remote's half-close ends the read");
        try {
            reader.result().join();
            assertTrue(data.length >= 1);
            reader.detach();
        } catch (CompletionException e) {
            assertTrue(e.getCause() instanceof P2pException.ProtocolViolation
                    || e.getCause() instanceof P2pException.ConnectionClosed, () -> "undocumented failure: " + e.getCause());
        }
        buffers.finishAndCheck(ch);
    }
}
