package io.ipnslink.p2p.multistream;

import io.ipnslink.p2p.P2pException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Responder role: sends the header at once, expects the initiator's header, then answers each
 * proposal with its echo (selected, done) or {@code na}, and {@code ls} with the protocol list.
 */
final class ResponderHandler extends NegotiationHandler {
    private final Predicate<String> supported;
    private final Supplier<List<String>> lsList;
    private boolean headerSeen;
    private int requests;

    ResponderHandler(Promise<String> promise, Duration timeout, String baseName, Predicate<String> supported,
                     Supplier<List<String>> lsList) {
        super(promise, timeout, baseName);
        this.supported = supported;
        this.lsList = lsList;
    }

    @Override
    String role() {
        return "responder";
    }

    @Override
    void start(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(MultistreamCodec.encode(ctx.alloc(), MultistreamSelect.PROTOCOL_ID))
                .addListener(MultistreamSelect.FAIL_ON_WRITE_ERROR);
    }

    @Override
    Step onMessage(ChannelHandlerContext ctx, String message) throws P2pException {
        if (!headerSeen) {
            if (!MultistreamSelect.PROTOCOL_ID.equals(message)) {
                throw new P2pException.ProtocolViolation("expected the multistream-select header \""
                        + MultistreamSelect.PROTOCOL_ID + "\" but the initiator sent \""
                        + MultistreamCodec.printable(message) + "\"");
            }
            headerSeen = true;
            return Step.CONTINUE;
        }
        if (++requests > MultistreamSelect.MAX_RESPONDER_REQUESTS) {
            throw new P2pException.ProtocolViolation("the initiator sent more than "
                    + MultistreamSelect.MAX_RESPONDER_REQUESTS + " multistream-select requests without agreeing");
        }
        if (MultistreamCodec.LS.equals(message)) {
            ctx.writeAndFlush(MultistreamCodec.encodeLsResponse(ctx.alloc(), lsList.get()))
                    .addListener(MultistreamSelect.FAIL_ON_WRITE_ERROR);
            return Step.CONTINUE;
        }
        if (!MultistreamCodec.NA.equals(message) && supported.test(message)) {
            ctx.writeAndFlush(MultistreamCodec.encode(ctx.alloc(), message))
                    .addListener(MultistreamSelect.FAIL_ON_WRITE_ERROR);
            select(message);
            return Step.DONE;
        }
        ctx.writeAndFlush(MultistreamCodec.encode(ctx.alloc(), MultistreamCodec.NA))
                .addListener(MultistreamSelect.FAIL_ON_WRITE_ERROR);
        return Step.CONTINUE;
    }
}
