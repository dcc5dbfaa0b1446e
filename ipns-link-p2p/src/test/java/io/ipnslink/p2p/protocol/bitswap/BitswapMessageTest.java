package io.ipnslink.p2p.protocol.bitswap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.bitswap.pb.BitswapProtos;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bitswap message in its three versions, and what a peer may not send. */
class BitswapMessageTest {
    static final Block RAW = Block.of(Cid.RAW, "raw leaf".getBytes());
    static final Block PB = Block.v0(new byte[] {0x0a, 0x02, 0x08, 0x01});

    @Test
    void version120KeepsEverything() throws Exception {
        BitswapMessage m = BitswapMessageReaderTest.sample();
        BitswapMessage back = BitswapMessage.decode(m.encode(Bitswap.PROTOCOL_1_2_0), Bitswap.PROTOCOL_1_2_0);
        assertEquals(m.wantlist(), back.wantlist());
        assertEquals(m.presences(), back.presences());
        assertEquals(17, back.pendingBytes());
        assertEquals(2, back.blocks().size());
        for (int i = 0; i < 2; i++) {
            assertEquals(m.blocks().get(i).prefix(), back.blocks().get(i).prefix());
            assertArrayEquals(m.blocks().get(i).data(), back.blocks().get(i).data());
        }
    }

    @Test
    void version110DropsPresencesAndWantTypes() throws Exception {
        BitswapMessage m = BitswapMessageReaderTest.sample();
        BitswapMessage back = BitswapMessage.decode(m.encode(Bitswap.PROTOCOL_1_1_0), Bitswap.PROTOCOL_1_1_0);
        assertTrue(back.presences().isEmpty());
        assertEquals(0, back.pendingBytes());
        assertEquals(BitswapMessage.WantType.BLOCK, back.wantlist().get(0).wantType(), "a 1.1.0 want is a want-block");
        assertFalse(back.wantlist().get(0).sendDontHave());
        assertEquals(2, back.blocks().size());
    }

    @Test
    void version100SendsBareBlocksAndCidV0WantsOnly() throws Exception {
        BitswapMessage m = new BitswapMessage(false,
                List.of(BitswapMessage.Entry.want(RAW.cid(), BitswapMessage.WantType.BLOCK, false),
                        BitswapMessage.Entry.want(PB.cid().toV1(), BitswapMessage.WantType.BLOCK, false)),
                List.of(BitswapMessage.Payload.of(PB)), List.of(), 0);
        byte[] body = m.encode(Bitswap.PROTOCOL_1_0_0);
        BitswapProtos.Message pb = BitswapProtos.Message.parseFrom(body);
        assertEquals(0, pb.getPayloadCount());
        assertEquals(1, pb.getBlocksCount());
        assertEquals(1, pb.getWantlist().getEntriesCount(), "the raw CIDv1 cannot be named in 1.0.0");
        assertArrayEquals(PB.cid().bytes(), pb.getWantlist().getEntries(0).getBlock().toByteArray(), "as CIDv0");
        BitswapMessage back = BitswapMessage.decode(body, Bitswap.PROTOCOL_1_0_0);
        assertEquals(BitswapMessage.Prefix.v0(), back.blocks().get(0).prefix());
        assertArrayEquals(PB.data(), back.blocks().get(0).data());
    }

    @Test
    void prefixesAreTheCidWithoutItsDigest() {
        assertEquals("00701220", HexFormat.of().formatHex(BitswapMessage.Prefix.of(PB.cid()).bytes()));
        assertEquals("01551220", HexFormat.of().formatHex(BitswapMessage.Prefix.of(RAW.cid()).bytes()));
        assertEquals(BitswapMessage.Prefix.of(RAW.cid()), BitswapMessage.Prefix.decode(HexFormat.of().parseHex("01551220")));
    }

    @Test
    void badInputIsAProtocolViolation() {
        List<BitswapProtos.Message> bad = List.of(
                // a CID that is not one
                BitswapProtos.Message.newBuilder().setWantlist(BitswapProtos.Message.Wantlist.newBuilder()
                        .addEntries(BitswapProtos.Message.Wantlist.Entry.newBuilder()
                                .setBlock(ByteString.copyFrom(new byte[] {1, 2, 3})))).build(),
                // a prefix with trailing bytes
                BitswapProtos.Message.newBuilder().addPayload(BitswapProtos.Message.Block.newBuilder()
                        .setPrefix(ByteString.copyFrom(HexFormat.of().parseHex("0155122000")))).build(),
                // a CIDv0 prefix that is not dag-pb sha2-256
                BitswapProtos.Message.newBuilder().addPayload(BitswapProtos.Message.Block.newBuilder()
                        .setPrefix(ByteString.copyFrom(HexFormat.of().parseHex("00551220")))).build(),
                // CID version 2
                BitswapProtos.Message.newBuilder().addPayload(BitswapProtos.Message.Block.newBuilder()
                        .setPrefix(ByteString.copyFrom(HexFormat.of().parseHex("02551220")))).build(),
                // a block over 2 MiB
                BitswapProtos.Message.newBuilder().addPayload(BitswapProtos.Message.Block.newBuilder()
                        .setPrefix(ByteString.copyFrom(HexFormat.of().parseHex("01551220")))
                        .setData(ByteString.copyFrom(new byte[Block.MAX_BYTES + 1]))).build(),
                // an unknown presence type
                BitswapProtos.Message.newBuilder().addBlockPresences(BitswapProtos.Message.BlockPresence.newBuilder()
                        .setCid(ByteString.copyFrom(RAW.cid().bytes())).setTypeValue(5)).build());
        for (BitswapProtos.Message m : bad) {
            assertThrows(P2pException.ProtocolViolation.class,
                    () -> BitswapMessage.decode(m.toByteArray(), Bitswap.PROTOCOL_1_2_0), m.toString());
        }
        assertThrows(P2pException.ProtocolViolation.class,
                () -> BitswapMessage.decode(new byte[] {(byte) 0xff, (byte) 0xff}, Bitswap.PROTOCOL_1_2_0));
    }

    @Test
    void unknownProtocolIdIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> BitswapMessage.wants(List.of()).encode("/ipfs/bitswap/9"));
    }
}
