package io.ipnslink.p2p.multistream;

import io.ipnslink.p2p.P2pException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * multistream-select 1.0 ({@value #PROTOCOL_ID}): agrees on the protocol spoken next on a raw
 * connection or a muxed stream.
 *
 * <p>Both entry points install a handler named {@value #HANDLER_NAME} at the front of the channel's
 * pipeline (or right after a named handler, for negotiation on top of a secured channel). On
 * success the handler removes itself, completes the returned future with the selected protocol —
 * its listeners run on the event loop right then and may install the next protocol's handlers —
 * and then hands the bytes that arrived after the last negotiation message (go-libp2p and js-libp2p
 * send the first application bytes in the same packet) to the rest of the pipeline.
 *
 * <p>Failures: {@link P2pException.Timeout} when it does not finish in time,
 * {@link P2pException.ProtocolViolation} for garbage, oversized messages or too many requests,
 * {@link P2pException.NoSuchProtocol} when every proposal was refused,
 * {@link P2pException.ConnectionClosed} when the channel closes first. The channel is closed on
 * every failure.
 *
 * <p>Install the negotiation before the remote's bytes can be read (the responder speaks first):
 * in a {@code ChannelInitializer} (also on a client channel whose connect is still pending: it
 * starts on {@code channelActive}), in the connect future's listener (with auto-read off: a
 * listener attached after the connect completed runs later, as a task), or in a muxed stream's
 * initializer. Calls from other threads are moved onto the channel's event loop.
 *
 * <p>Wire format and limits: {@link MultistreamCodec}.
 */
public final class MultistreamSelect {
    /** The multistream-select header, sent first by both sides. */
    public static final String PROTOCOL_ID = "/multistream/1.0.0";
    /** Name of the negotiation handler while it is in the pipeline. */
    public static final String HANDLER_NAME = "multistream-select";
    /** Proposals and {@code ls} requests a responder answers before it gives up on the initiator. */
    public static final int MAX_RESPONDER_REQUESTS = 32;

    /** A failed negotiation write closes the channel; channelInactive then fails the promise. */
    static final ChannelFutureListener FAIL_ON_WRITE_ERROR = ChannelFutureListener.CLOSE_ON_FAILURE;

    private MultistreamSelect() {
    }

    /**
     * Negotiates as the initiator: proposes {@code protocols} in order until the responder accepts
     * one. The header and the first proposal go out together without waiting for the responder's
     * header (both answers are still checked).
     *
     * @param ch        a connected channel (TCP socket, muxed stream, ...)
     * @param protocols proposals, most preferred first; each a valid protocol id
     * @param timeout   limit for the whole negotiation
     * @return completes on the channel's event loop with the selected protocol
     * @throws IllegalArgumentException for an empty list or an invalid protocol id
     */
    public static Future<String> initiate(Channel ch, List<String> protocols, Duration timeout) {
        return initiate(ch, protocols, timeout, null);
    }

    /**
     * As {@link #initiate(Channel, List, Duration)}, with the handler installed right after the
     * handler named {@code afterHandler} (null: at the front).
     */
    public static Future<String> initiate(Channel ch, List<String> protocols, Duration timeout, String afterHandler) {
        Objects.requireNonNull(ch, "ch");
        checkTimeout(timeout);
        List<String> proposals = List.copyOf(protocols);
        if (proposals.isEmpty()) {
            throw new IllegalArgumentException("at least one protocol must be proposed");
        }
        proposals.forEach(MultistreamCodec::checkProtocolId);
        Promise<String> promise = ch.eventLoop().newPromise();
        install(ch, promise, new InitiatorHandler(promise, timeout, afterHandler, proposals), afterHandler);
        return promise;
    }

    /**
     * Negotiates one protocol as the initiator without waiting for the answer ("lazy"): the header
     * and the proposal are written, and the returned future completes with {@code protocol} right
     * away, so the application's first bytes leave in the same flush. The responder's header and
     * echo are checked when they come; a refusal or garbage fires {@code exceptionCaught}
     * ({@link P2pException.NoSuchProtocol} / {@link P2pException.ProtocolViolation}) and closes the
     * channel; so does {@code timeout} passing without the answer.
     */
    public static Future<String> initiateLazy(Channel ch, String protocol, Duration timeout, String afterHandler) {
        Objects.requireNonNull(ch, "ch");
        checkTimeout(timeout);
        MultistreamCodec.checkProtocolId(protocol);
        Promise<String> promise = ch.eventLoop().newPromise();
        install(ch, promise, new LazyInitiatorHandler(promise, timeout, afterHandler, protocol), afterHandler);
        return promise;
    }

    /**
     * Negotiates as the responder: accepts the first proposal {@code supported} approves, answers
     * {@code na} otherwise and {@code ls} with {@code lsList}.
     *
     * @param ch        a connected channel (TCP socket, muxed stream, ...)
     * @param supported whether a proposed protocol is spoken here (called on the event loop)
     * @param lsList    the protocols to list on {@code ls} (called on the event loop)
     * @param timeout   limit for the whole negotiation
     * @return completes on the channel's event loop with the selected protocol
     */
    public static Future<String> respond(Channel ch, Predicate<String> supported, Supplier<List<String>> lsList,
                                         Duration timeout) {
        return respond(ch, supported, lsList, timeout, null);
    }

    /**
     * As {@link #respond(Channel, Predicate, Supplier, Duration)}, with the handler installed right
     * after the handler named {@code afterHandler} (null: at the front).
     */
    public static Future<String> respond(Channel ch, Predicate<String> supported, Supplier<List<String>> lsList,
                                         Duration timeout, String afterHandler) {
        Objects.requireNonNull(ch, "ch");
        Objects.requireNonNull(supported, "supported");
        Objects.requireNonNull(lsList, "lsList");
        checkTimeout(timeout);
        Promise<String> promise = ch.eventLoop().newPromise();
        install(ch, promise, new ResponderHandler(promise, timeout, afterHandler, supported, lsList), afterHandler);
        return promise;
    }

    private static void checkTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    private static void install(Channel ch, Promise<String> promise, NegotiationHandler handler, String afterHandler) {
        if (ch.eventLoop().inEventLoop()) {
            installNow(ch, promise, handler, afterHandler);
        } else {
            ch.eventLoop().execute(() -> installNow(ch, promise, handler, afterHandler));
        }
    }

    private static void installNow(Channel ch, Promise<String> promise, NegotiationHandler handler,
                                   String afterHandler) {
        if (!ch.isOpen()) {
            promise.tryFailure(new P2pException.ConnectionClosed("channel " + ch + " is closed; cannot negotiate"));
            return;
        }
        try {
            if (afterHandler == null) {
                ch.pipeline().addFirst(HANDLER_NAME, handler);
            } else {
                ch.pipeline().addAfter(afterHandler, HANDLER_NAME, handler);
            }
        } catch (RuntimeException e) {
            promise.tryFailure(new P2pException("cannot install the multistream-select handler on " + ch + ": "
                    + e.getMessage(), e));
        }
    }
}
