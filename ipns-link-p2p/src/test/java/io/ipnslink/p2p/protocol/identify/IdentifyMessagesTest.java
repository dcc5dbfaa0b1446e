package io.ipnslink.p2p.protocol.identify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.PeerRecord;
import io.ipnslink.p2p.SignedEnvelope;
import io.ipnslink.p2p.protocol.identify.pb.IdentifyProtos;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class IdentifyMessagesTest {
    private final PrivKey key = PrivKey.generateEd25519();
    private final Multiaddr addr = Multiaddr.parse("/ip4/127.0.0.1/tcp/4001");

    private IdentifyProtos.Identify message(PrivKey signer) {
        return IdentifyProtos.Identify.newBuilder()
                .setProtocolVersion(Identify.PROTOCOL_VERSION)
                .setAgentVersion("ipns-link/test")
                .setPublicKey(ByteString.copyFrom(key.publicKey().marshal()))
                .addListenAddrs(ByteString.copyFrom(addr.bytes()))
                .addProtocols("/ipfs/id/1.0.0")
                .addProtocols("/ipfs/ping/1.0.0")
                .setObservedAddr(ByteString.copyFrom(Multiaddr.parse("/ip4/10.0.0.1/tcp/5555").bytes()))
                .setSignedPeerRecord(ByteString.copyFrom(SignedEnvelope.seal(signer, PeerRecord.DOMAIN,
                        PeerRecord.payloadType(), new PeerRecord(key.peerId(), 7, List.of(addr)).encode()).encode()))
                .build();
    }

    @Test
    void readerDecodesTheMessageWhateverTheSplitOnceTheRemoteCloses() throws Exception {
        IdentifyProtos.Identify msg = message(key);
        byte[] wire = IdentifyMessages.encodeDelimited(msg);
        for (int split = 0; split <= wire.length; split++) {
            IdentifyReader reader = new IdentifyReader(Duration.ofSeconds(10));
            EmbeddedChannel ch = new EmbeddedChannel(reader);
            ch.writeInbound(Unpooled.wrappedBuffer(wire, 0, split));
            ch.writeInbound(Unpooled.wrappedBuffer(wire, split, wire.length - split));
            assertFalse(reader.result().isDone(), "waits for the end of the stream, split " + split);
            ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            assertEquals(msg, reader.result().get(), "split " + split);
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void twoMessagesAreMergedAsGoSplitsTheSignedRecordOff() throws Exception {
        IdentifyProtos.Identify full = message(key);
        IdentifyProtos.Identify first = full.toBuilder().clearSignedPeerRecord().build();
        IdentifyProtos.Identify second = IdentifyProtos.Identify.newBuilder()
                .setSignedPeerRecord(full.getSignedPeerRecord()).build();
        byte[] a = IdentifyMessages.encodeDelimited(first);
        byte[] b = IdentifyMessages.encodeDelimited(second);
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        assertEquals(full, IdentifyMessages.decodeDelimited(both));
    }

    @Test
    void truncatedEmptyAndGarbageStreamsAreProtocolViolations() {
        byte[] wire = IdentifyMessages.encodeDelimited(message(key));
        for (int len = 0; len < wire.length; len++) {
            byte[] cut = Arrays.copyOf(wire, len);
            assertThrows(P2pException.ProtocolViolation.class, () -> IdentifyMessages.decodeDelimited(cut),
                    "truncated at " + len);
        }
        assertThrows(P2pException.ProtocolViolation.class,
                () -> IdentifyMessages.decodeDelimited(new byte[] {0x03, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        assertThrows(P2pException.ProtocolViolation.class,
                () -> IdentifyMessages.decodeDelimited(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80}));
    }

    @Test
    void readerRejectsMoreThanTheSizeLimit() {
        IdentifyReader reader = new IdentifyReader(Duration.ofSeconds(10));
        EmbeddedChannel ch = new EmbeddedChannel(reader);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[Identify.MAX_MESSAGE_SIZE]));
        assertFalse(reader.result().isDone());
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[1]));
        ExecutionException e = assertThrows(ExecutionException.class, () -> reader.result().get());
        assertInstanceOf(P2pException.ProtocolViolation.class, e.getCause());
        assertFalse(ch.isOpen());
        assertNull(ch.readInbound());
    }

    @Test
    void readerTimesOutWithoutAWholeMessage() throws Exception {
        IdentifyReader reader = new IdentifyReader(Duration.ofMillis(30));
        EmbeddedChannel ch = new EmbeddedChannel(reader);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x10, 1, 2}));
        Thread.sleep(60);
        ch.runScheduledPendingTasks();
        ExecutionException e = assertThrows(ExecutionException.class, () -> reader.result().get());
        assertInstanceOf(P2pException.Timeout.class, e.getCause());
    }

    @Test
    void infoCarriesVerifiedRecordAndFields() throws Exception {
        IdentifyInfo info = IdentifyMessages.toInfo(message(key), key.peerId(), key.publicKey());
        assertEquals(List.of(addr), info.listenAddrs());
        assertEquals(7, info.peerRecord().orElseThrow().seq());
        assertEquals("ipns-link/test", info.agentVersion());
        assertEquals(Identify.PROTOCOL_VERSION, info.protocolVersion());
        assertTrue(info.supports("/ipfs/ping/1.0.0"));
        assertEquals(Multiaddr.parse("/ip4/10.0.0.1/tcp/5555"), info.observedAddr().orElseThrow());
    }

    @Test
    void recordOrKeyOfAnotherPeerIsBadPeer() {
        PrivKey other = PrivKey.generateEd25519();
        // record about `key` signed by `other`
        assertThrows(P2pException.BadPeer.class,
                () -> IdentifyMessages.toInfo(message(other), key.peerId(), key.publicKey()));
        // whole message is `key`'s but the connection is with `other`
        assertThrows(P2pException.BadPeer.class,
                () -> IdentifyMessages.toInfo(message(key), other.peerId(), other.publicKey()));
    }

    @Test
    void pushReplacesOnlyTheFieldsItCarries() {
        IdentifyProtos.Identify old = message(key);
        IdentifyProtos.Identify push = IdentifyProtos.Identify.newBuilder().addProtocols("/new/1.0.0").build();
        IdentifyProtos.Identify merged = IdentifyMessages.applyPush(old, push);
        assertEquals(List.of("/new/1.0.0"), merged.getProtocolsList());
        assertEquals(old.getAgentVersion(), merged.getAgentVersion());
        assertEquals(old.getSignedPeerRecord(), merged.getSignedPeerRecord());
    }
}
