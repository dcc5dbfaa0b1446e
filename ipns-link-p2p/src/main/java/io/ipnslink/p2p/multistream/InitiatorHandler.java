package io.ipnslink.p2p.multistream;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.List;

/**
 * Initiator role: sends the header and the first proposal together (as go-libp2p and js-libp2p do),
 * then expects the responder's header and, per proposal, either its echo (selected) or {@code na}
 * (next proposal).
 */
final class InitiatorHandler extends NegotiationHandler {
    private final List<String> protocols;
    private boolean headerSeen;
    private int current;

    InitiatorHandler(Promise<String> promise, Duration timeout, String baseName, List<String> protocols) {
        super(promise, timeout, baseName);
        this.protocols = protocols;
    }

    @Override
    String role() {
        return "initiator";
    }

    @Override
    void start(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(headerAndProposal(ctx, protocols.get(0))).addListener(MultistreamSelect.FAIL_ON_WRITE_ERROR);
    }

    /** The multistream header and one proposal in one buffer (one packet). */
    static ByteBuf headerAndProposal(ChannelHandlerContext ctx, String protocol) {
        ByteBuf header = MultistreamCodec.encode(ctx.alloc(), MultistreamSelect.PROTOCOL_ID);
        ByteBuf proposal = MultistreamCodec.encode(ctx.alloc(), protocol);
        ByteBuf both = ctx.alloc().buffer(header.readableBytes() + proposal.readableBytes());
        both.writeBytes(header).writeBytes(proposal);
        header.release();
        proposal.release();
        return both;
    }

    /** Checks the responder's first message. */
    static void checkHeader(String message) throws P2pException.ProtocolViolation {
        if (!MultistreamSelect.PROTOCOL_ID.equals(message)) {
            throw new P2pException.ProtocolViolation("expected the multistream-select header \""
                    + MultistreamSelect.PROTOCOL_ID + "\" but the responder sent \""
                    + MultistreamCodec.printable(message) + "\"");
        }
    }

    @Override
    Step onMessage(ChannelHandlerContext ctx, String message) throws P2pException {
        if (!headerSeen) {
            checkHeader(message);
            headerSeen = true;
            return Step.CONTINUE;
        }
        String proposed = protocols.get(current);
        if (proposed.equals(message)) {
            select(proposed);
            return Step.DONE;
        }
        if (!MultistreamCodec.NA.equals(message)) {
            throw new P2pException.ProtocolViolation("proposed \"" + MultistreamCodec.printable(proposed)
                    + "\" but the responder answered \"" + MultistreamCodec.printable(message) + "\"");
        }
        current++;
        if (current == protocols.size()) {
            throw new P2pException.NoSuchProtocol("the remote speaks none of the protocols proposed: " + protocols);
        }
        ctx.writeAndFlush(MultistreamCodec.encode(ctx.alloc(), protocols.get(current)))
                .addListener(MultistreamSelect.FAIL_ON_WRITE_ERROR);
        return Step.CONTINUE;
    }
}
