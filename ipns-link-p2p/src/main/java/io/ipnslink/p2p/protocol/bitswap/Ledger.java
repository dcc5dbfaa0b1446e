package io.ipnslink.p2p.protocol.bitswap;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.p2p.Connection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What this node knows of one peer: bytes and blocks exchanged both ways, the peer's wantlist as
 * the server holds it, blocks from it that matched nothing we asked ("bad" blocks: enough of them
 * and the peer is disconnected), refused wants and malformed messages. Lives while the peer has a
 * connection. The counters are thread-safe; the wantlist is guarded by the server's lock and the
 * outbox by the ledger itself.
 */
public final class Ledger {
    /** A read-only copy of a ledger's counters. */
    public record Snapshot(PeerId peer, long bytesSent, long bytesReceived, long blocksSent, long blocksReceived,
            int wants, long wantsRefused, long badBlocks, long duplicateBlocks, long messagesReceived,
            long malformedMessages, int peerPendingBytes, String protocol) {}

    /** A want as the server holds it; ordered by priority (higher first), then arrival. */
    static final class ServerWant {
        final Cid cid;
        final long seq;
        int priority;
        BitswapMessage.WantType type;
        boolean sendDontHave;

        ServerWant(Cid cid, long seq, int priority, BitswapMessage.WantType type, boolean sendDontHave) {
            this.cid = cid;
            this.seq = seq;
            this.priority = priority;
            this.type = type;
            this.sendDontHave = sendDontHave;
        }
    }

    static final Comparator<ServerWant> ORDER = Comparator.<ServerWant>comparingInt(w -> -w.priority)
            .thenComparingLong(w -> w.seq);

    final PeerId peer;
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong bytesReceived = new AtomicLong();
    final AtomicLong blocksSent = new AtomicLong();
    final AtomicLong blocksReceived = new AtomicLong();
    final AtomicLong wantsRefused = new AtomicLong();
    final AtomicLong badBlocks = new AtomicLong();
    final AtomicLong duplicateBlocks = new AtomicLong();
    final AtomicLong messagesReceived = new AtomicLong();
    final AtomicLong malformedMessages = new AtomicLong();
    final AtomicInteger inboundStreams = new AtomicInteger();
    final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    volatile int peerPendingBytes;
    volatile String protocol;

    // Server state, guarded by the server's lock.
    final Map<Cid, ServerWant> wants = new HashMap<>();
    final TreeSet<ServerWant> pending = new TreeSet<>(ORDER);
    boolean busy;
    boolean queued;
    boolean gone;

    // Client outbox, guarded by this.
    final LinkedHashMap<Cid, BitswapMessage.Entry> outbox = new LinkedHashMap<>();
    boolean sending;

    Ledger(PeerId peer) {
        this.peer = peer;
    }

    Snapshot snapshot(int wantCount) {
        return new Snapshot(peer, bytesSent.get(), bytesReceived.get(), blocksSent.get(), blocksReceived.get(),
                wantCount, wantsRefused.get(), badBlocks.get(), duplicateBlocks.get(), messagesReceived.get(),
                malformedMessages.get(), peerPendingBytes, protocol);
    }
}
