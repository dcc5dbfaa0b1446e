package io.ipnslink.p2p.multistream;

import io.ipnslink.p2p.P2pException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Promise;
import java.time.Duration;

/**
 * Initiator role with one proposal, pipelined ("lazy", as go-libp2p does for a single protocol):
 * the header and the proposal are written, the protocol counts as selected at once so the first
 * application bytes follow in the same flush, and the responder's header and echo are checked as
 * they arrive. The handler stays in front of the application until then; a refusal ({@code na}),
 * garbage or the deadline fires {@code exceptionCaught} with the reason and closes the channel.
 */
final class LazyInitiatorHandler extends NegotiationHandler {
    private final String protocol;
    private boolean headerSeen;

    LazyInitiatorHandler(Promise<String> promise, Duration timeout, String baseName, String protocol) {
        super(promise, timeout, baseName);
        this.protocol = protocol;
    }

    @Override
    String role() {
        return "lazy initiator";
    }

    @Override
    void start(ChannelHandlerContext ctx) {
        ctx.write(InitiatorHandler.headerAndProposal(ctx, protocol)).addListener(MultistreamSelect.FAIL_ON_WRITE_ERROR);
        select(protocol);
        // after the channel's registration has finished: the application's first write then
        // leaves in the same flush as the proposal
        ctx.executor().execute(() -> {
            succeedEarly();
            ctx.flush();
        });
    }

    @Override
    boolean applicationReadsAlready() {
        return true;
    }

    @Override
    Step onMessage(ChannelHandlerContext ctx, String message) throws P2pException {
        if (!headerSeen) {
            InitiatorHandler.checkHeader(message);
            headerSeen = true;
            return Step.CONTINUE;
        }
        if (protocol.equals(message)) {
            return Step.DONE;
        }
        if (MultistreamCodec.NA.equals(message)) {
            throw new P2pException.NoSuchProtocol("the remote does not speak " + protocol);
        }
        throw new P2pException.ProtocolViolation("proposed \"" + MultistreamCodec.printable(protocol)
                + "\" but the responder answered \"" + MultistreamCodec.printable(message) + "\"");
    }
}
