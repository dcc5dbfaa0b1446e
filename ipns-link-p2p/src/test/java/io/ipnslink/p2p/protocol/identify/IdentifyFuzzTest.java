package io.ipnslink.p2p.protocol.identify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.PeerRecord;
import io.ipnslink.p2p.SignedEnvelope;
import io.ipnslink.p2p.fuzz.FuzzBuffers;
import io.ipnslink.p2p.protocol.identify.pb.IdentifyProtos;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz targets for identify as a remote peer sends it: the stream reader (chunks cut where the
 * input says, then the remote's half-close), the varint-delimited protobuf messages, their check
 * against the connection's peer, and the signed peer record in its envelope. Contract: a result
 * or {@link P2pException} (ProtocolViolation / BadPeer), size limits hold, every buffer is
 * released. The seeds are valid messages, one with a signed peer record.
 */
class IdentifyFuzzTest {
    static final PrivKey REMOTE = Ed25519PrivKey.fromSeed(filled(7));

    private static byte[] filled(int b) {
        byte[] a = new byte[32];
        Arrays.fill(a, (byte) b);
        return a;
    }

    static byte[] signedPeerRecord() {
        PeerRecord record = new PeerRecord(REMOTE.peerId(), 1,
                List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"), Multiaddr.parse("/ip6/::1/tcp/4001")));
        return record.seal(REMOTE).encode();
    }

    static Stream<Arguments> identifyMessages() {
        IdentifyProtos.Identify full = IdentifyProtos.Identify.newBuilder()
                .setProtocolVersion("ipfs/0.1.0")
                .setAgentVersion("fuzz/1")
                .setPublicKey(com.google.protobuf.ByteString.copyFrom(REMOTE.publicKey().marshal()))
                .addListenAddrs(com.google.protobuf.ByteString.copyFrom(Multiaddr.parse("/ip4/10.0.0.1/tcp/1").bytes()))
                .setObservedAddr(com.google.protobuf.ByteString.copyFrom(Multiaddr.parse("/ip4/10.0.0.2/tcp/2").bytes()))
                .addProtocols("/ipfs/id/1.0.0")
                .setSignedPeerRecord(com.google.protobuf.ByteString.copyFrom(signedPeerRecord()))
                .build();
        IdentifyProtos.Identify small = IdentifyProtos.Identify.newBuilder().addProtocols("/ipfs/ping/1.0.0").build();
        byte[] one = IdentifyMessages.encodeDelimited(full);
        byte[] two = IdentifyMessages.encodeDelimited(small);
        byte[] both = new byte[one.length + two.length];
        System.arraycopy(one, 0, both, 0, one.length);
        System.arraycopy(two, 0, both, one.length, two.length);
        return Stream.of(Arguments.of((Object) one), Arguments.of((Object) both));
    }

    static Stream<Arguments> envelopes() {
        return Stream.of(Arguments.of((Object) signedPeerRecord()));
    }

    /** The bytes a remote writes on an identify stream; the first byte seeds the cuts. */
    @MethodSource("identifyMessages")
    @FuzzTest(maxDuration = "10m")
    void identify(byte[] data) {
        FuzzBuffers buffers = new FuzzBuffers();
        EmbeddedChannel ch = buffers.channel();
        IdentifyReader reader = new IdentifyReader(Duration.ofSeconds(10));
        ch.pipeline().addLast(reader);
        buffers.feed(ch, data, 0, data.length, data.length);
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        ch.checkException();
        CompletableFuture<IdentifyProtos.Identify> result = reader.result();
        assertTrue(result.isDone(), "the remote's half-close ends the read");
        IdentifyProtos.Identify msg;
        try {
            msg = result.join();
        } catch (java.util.concurrent.CompletionException e) {
            assertTrue(e.getCause() instanceof P2pException.ProtocolViolation, () -> "undocumented failure: " + e.getCause());
            buffers.finishAndCheck(ch);
            return;
        }
        assertTrue(data.length <= Identify.MAX_MESSAGE_SIZE);
        try {
            IdentifyInfo info = IdentifyMessages.toInfo(msg, REMOTE.peerId(), REMOTE.publicKey());
            assertTrue(info.protocols().size() <= IdentifyMessages.MAX_LIST_ENTRIES);
            assertTrue(info.listenAddrs().size() <= Math.max(IdentifyMessages.MAX_LIST_ENTRIES, PeerRecord.MAX_ADDRESSES));
        } catch (P2pException e) {
            assertTrue(e instanceof P2pException.ProtocolViolation || e instanceof P2pException.BadPeer,
                    () -> "undocumented failure: " + e);
        }
        buffers.finishAndCheck(ch);
    }

    @MethodSource("envelopes")
    @FuzzTest(maxDuration = "10m")
    void signedPeerRecord(byte[] data) {
        try {
            SignedEnvelope env = SignedEnvelope.decode(data);
            assertTrue(data.length <= SignedEnvelope.MAX_ENVELOPE_SIZE);
            SignedEnvelope again = SignedEnvelope.decode(env.encode());
            assertArrayEquals(env.payload(), again.payload());
            assertEquals(env.publicKey(), again.publicKey());
        } catch (P2pException.ProtocolViolation expected) {
            // the documented failure
        }
        try {
            PeerRecord rec = PeerRecord.open(data);
            assertTrue(rec.addresses().size() <= PeerRecord.MAX_ADDRESSES);
            assertEquals(rec, PeerRecord.decode(rec.encode()), "decode(encode(r)) == r");
        } catch (P2pException e) {
            assertTrue(e instanceof P2pException.ProtocolViolation || e instanceof P2pException.BadPeer,
                    () -> "undocumented failure: " + e);
        }
        try {
            PeerRecord.decode(data);
        } catch (P2pException.ProtocolViolation expected) {
            // the documented failure
        }
    }
}
