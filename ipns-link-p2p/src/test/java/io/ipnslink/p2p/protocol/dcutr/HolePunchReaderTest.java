package io.ipnslink.p2p.protocol.dcutr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.dcutr.pb.DcutrProtos.HolePunch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The DCUtR message codec: framing, limits, lock-step delivery, input split at every byte. */
class HolePunchReaderTest {
    static final Duration LONG = Duration.ofMinutes(1);
    static final List<Multiaddr> ADDRS = List.of(Multiaddr.parse("/ip4/203.0.113.7/tcp/4001"),
            Multiaddr.parse("/ip6/2001:db8::1/tcp/4001"), Multiaddr.parse("/dns4/example.org/tcp/443"));

    private static byte[] bytes(HolePunch m) {
        ByteBuf b = Dcutr.encode(ByteBufAllocator.DEFAULT, m);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int i = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, i, p.length);
            i += p.length;
        }
        return out;
    }

    private static Throwable failure(CompletableFuture<?> f) {
        assertTrue(f.isDone(), "should have failed by now");
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(0, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void wireFormatIsTheSpecs() {
        // type=1 varint 100, ObsAddrs=2 bytes; the whole prefixed by its uvarint length
        byte[] sync = bytes(Dcutr.sync());
        assertEquals("03 08 ac 02", hex(sync));
        byte[] connect = bytes(Dcutr.connect(List.of(Multiaddr.parse("/ip4/1.2.3.4/tcp/4001"))));
        assertEquals("0c 08 64 12 08 04 01 02 03 04 06 0f a1", hex(connect));
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("%02x", x & 0xFF));
        }
        return sb.toString();
    }

    @Test
    void twoMessagesSplitAtEveryByte() throws Exception {
        byte[] wire = concat(bytes(Dcutr.connect(ADDRS)), bytes(Dcutr.sync()));
        for (int cut = 0; cut <= wire.length; cut++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            HolePunchReader r = HolePunchReader.install(ch);
            CompletableFuture<HolePunch> first = r.next(LONG);
            ch.writeInbound(Unpooled.wrappedBuffer(wire, 0, cut));
            ch.writeInbound(Unpooled.wrappedBuffer(wire, cut, wire.length - cut));
            HolePunch c = first.get(0, TimeUnit.SECONDS);
            assertEquals(HolePunch.Type.CONNECT, c.getType(), "cut " + cut);
            List<Multiaddr> got = new ArrayList<>();
            for (ByteString b : c.getObsAddrsList()) {
                got.add(Multiaddr.decode(b.toByteArray()));
            }
            assertEquals(ADDRS, got);
            // the SYNC was kept until asked for
            assertEquals(HolePunch.Type.SYNC, r.next(LONG).get(0, TimeUnit.SECONDS).getType(), "cut " + cut);
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    @Test
    void everyByteAlone() throws Exception {
        byte[] wire = bytes(Dcutr.connect(ADDRS));
        EmbeddedChannel ch = new EmbeddedChannel();
        HolePunchReader r = HolePunchReader.install(ch);
        CompletableFuture<HolePunch> f = r.next(LONG);
        for (int i = 0; i < wire.length; i++) {
            assertFalse(f.isDone(), "complete before byte " + i);
            ch.writeInbound(Unpooled.wrappedBuffer(wire, i, 1));
        }
        assertEquals(3, f.get(0, TimeUnit.SECONDS).getObsAddrsCount());
        ch.finishAndReleaseAll();
    }

    @Test
    void oversizedPrefixFailsBeforeTheBody() {
        EmbeddedChannel ch = new EmbeddedChannel();
        HolePunchReader r = HolePunchReader.install(ch);
        CompletableFuture<HolePunch> f = r.next(LONG);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 0x20})); // 4097
        assertInstanceOf(P2pException.ProtocolViolation.class, failure(f));
        // and every later read fails too
        assertInstanceOf(P2pException.ProtocolViolation.class, failure(r.next(LONG)));
        ch.finishAndReleaseAll();
    }

    @Test
    void messageOfExactlyTheLimitIsRead() throws Exception {
        HolePunch.Builder b = HolePunch.newBuilder().setType(HolePunch.Type.CONNECT);
        // 4096 bytes: type (2) + one field of tag (1) + length (2) + 4091 bytes
        b.addObsAddrs(ByteString.copyFrom(new byte[4091]));
        assertEquals(4096, b.build().getSerializedSize());
        EmbeddedChannel ch = new EmbeddedChannel();
        HolePunchReader r = HolePunchReader.install(ch);
        CompletableFuture<HolePunch> f = r.next(LONG);
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(b.build())));
        assertEquals(1, f.get(0, TimeUnit.SECONDS).getObsAddrsCount());
        ch.finishAndReleaseAll();
    }

    @Test
    void tooManyAddressesAreRefused() {
        HolePunch.Builder b = HolePunch.newBuilder().setType(HolePunch.Type.CONNECT);
        for (int i = 0; i <= Dcutr.MAX_ADDRESSES; i++) {
            b.addObsAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/1.2.3.4/tcp/" + (1000 + i)).bytes()));
        }
        EmbeddedChannel ch = new EmbeddedChannel();
        HolePunchReader r = HolePunchReader.install(ch);
        CompletableFuture<HolePunch> f = r.next(LONG);
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(b.build())));
        Throwable t = failure(f);
        assertInstanceOf(P2pException.ProtocolViolation.class, t);
        assertTrue(t.getMessage().contains("17 addresses"), t.getMessage());
        ch.finishAndReleaseAll();
    }

    @Test
    void garbageMissingAndUnknownTypesAreRefused() {
        byte[][] bodies = {
            {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, // not protobuf
            {0x12, 0x00}, // ObsAddrs only, no type
            {0x08, 0x05}, // type 5: not a known type
        };
        for (byte[] body : bodies) {
            EmbeddedChannel ch = new EmbeddedChannel();
            HolePunchReader r = HolePunchReader.install(ch);
            CompletableFuture<HolePunch> f = r.next(LONG);
            ch.writeInbound(Unpooled.wrappedBuffer(concat(new byte[] {(byte) body.length}, body)));
            assertInstanceOf(P2pException.ProtocolViolation.class, failure(f), hex(body));
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aThirdUnansweredMessageIsRefused() {
        byte[] sync = bytes(Dcutr.sync());
        EmbeddedChannel ch = new EmbeddedChannel();
        HolePunchReader r = HolePunchReader.install(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(concat(sync, sync)));
        CompletableFuture<HolePunch> f = r.next(LONG);
        assertTrue(f.isDone() && !f.isCompletedExceptionally(), "the first message is delivered");
        assertInstanceOf(P2pException.ProtocolViolation.class, failure(r.next(LONG)));
        ch.finishAndReleaseAll();
    }

    @Test
    void floodOfBytesIsRefusedWithoutBuffering() {
        EmbeddedChannel ch = new EmbeddedChannel();
        HolePunchReader r = HolePunchReader.install(ch);
        CompletableFuture<HolePunch> f = r.next(LONG);
        byte[] prefix = {(byte) 0x80, 0x20}; // 4096, body never complete
        ch.writeInbound(Unpooled.wrappedBuffer(prefix));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[20_000]));
        assertInstanceOf(P2pException.ProtocolViolation.class, failure(f));
        ch.finishAndReleaseAll();
    }

    @Test
    void endOfStreamFailsAPendingReadButGivesOutWhatCameBefore() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        HolePunchReader r = HolePunchReader.install(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(Dcutr.sync())));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(HolePunch.Type.SYNC, r.next(LONG).get(0, TimeUnit.SECONDS).getType());
        assertInstanceOf(P2pException.ConnectionClosed.class, failure(r.next(LONG)));
        ch.finishAndReleaseAll();
    }

    @Test
    void aPeerThatNeverAnswersTimesOut() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        HolePunchReader r = HolePunchReader.install(ch);
        CompletableFuture<HolePunch> f = r.next(Duration.ofMillis(30));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!f.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(10);
            ch.runScheduledPendingTasks();
        }
        assertInstanceOf(P2pException.Timeout.class, failure(f));
        ch.finishAndReleaseAll();
    }

    @Test
    void sendingMoreAddressesThanTheLimitSendsTheFirstOnes() {
        List<Multiaddr> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(Multiaddr.parse("/ip4/1.2.3.4/tcp/" + (2000 + i)));
        }
        assertEquals(Dcutr.MAX_ADDRESSES, Dcutr.connect(many).getObsAddrsCount());
    }
}
