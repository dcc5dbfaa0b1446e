package io.ipnslink.p2p.protocol.ping;

import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ProtocolBinding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * libp2p ping ({@value #PROTOCOL_ID}, libp2p/specs ping/ping.md): the initiator sends 32 random
 * bytes, the responder echoes them, repeatedly on one stream.
 */
public final class Ping {
    public static final String PROTOCOL_ID = "/ipfs/ping/1.0.0";
    /** Size of one ping payload. */
    public static final int PAYLOAD_SIZE = 32;
    /** A responder closes a ping stream that stays silent this long. */
    public static final Duration RESPONDER_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** Most pings in one {@link #ping(Connection, int, Duration)} call. */
    public static final int MAX_COUNT = 1000;

    private Ping() {}

    /** The responder binding (the host registers it by default). */
    public static ProtocolBinding responderBinding() {
        return ProtocolBinding.of(PROTOCOL_ID,
                stream -> stream.channel().pipeline().addLast(new PingResponder(RESPONDER_IDLE_TIMEOUT)));
    }

    /**
     * Opens one ping stream and sends {@code count} pings one after the other, each bounded by
     * {@code timeout}; completes with the round-trip times, or fails with
     * {@link P2pException.Timeout}, {@link P2pException.ProtocolViolation} (wrong echo) or
     * {@link P2pException.ConnectionClosed}. The stream is closed afterwards.
     */
    public static CompletableFuture<List<Duration>> ping(Connection connection, int count, Duration timeout) {
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("ping count must be 1.." + MAX_COUNT + ": " + count);
        }
        PingInitiator initiator = new PingInitiator();
        return connection.newStream(List.of(PROTOCOL_ID), stream -> stream.channel().pipeline().addLast(initiator))
                .thenCompose(stream -> {
                    List<Duration> rtts = new ArrayList<>();
                    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
                    for (int i = 0; i < count; i++) {
                        chain = chain.thenCompose(v -> initiator.ping(timeout)).thenAccept(rtts::add);
                    }
                    return chain.whenComplete((v, e) -> stream.close()).thenApply(v -> List.copyOf(rtts));
                });
    }
}
