package io.ipnslink.p2p.protocol.pubsub;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.Message;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gossipsub message cache: messages of the last {@code windows} heartbeats, for IWANT answers,
 * and the ids of the last {@code gossip} windows, for IHAVE. Bounded by the bytes of message data
 * held ({@code maxBytes}; the oldest messages go first). Remembers how often each message was sent
 * to each peer on IWANT, to cap retransmissions. Not thread-safe.
 */
public final class MessageCache {
    private record Entry(Message message, String topic, Map<PeerId, Integer> sent) {}

    private final int gossip;
    private final long maxBytes;
    private final LinkedHashMap<ByteString, Entry> messages = new LinkedHashMap<>();
    /** Newest window first. */
    private final ArrayDeque<List<ByteString>> windows = new ArrayDeque<>();
    private final int windowCount;
    private final int maxPerWindow;
    private long bytes;

    /** {@code maxPerWindow}: messages cached per heartbeat; beyond, messages are forwarded but not cached. */
    public MessageCache(int windows, int gossip, long maxBytes, int maxPerWindow) {
        this.windowCount = windows;
        this.maxPerWindow = maxPerWindow;
        this.gossip = gossip;
        this.maxBytes = maxBytes;
        this.windows.addFirst(new ArrayList<>());
    }

    public void put(ByteString id, Message message) {
        if (messages.containsKey(id) || windows.peekFirst().size() >= maxPerWindow) {
            return;
        }
        messages.put(id, new Entry(message, message.getTopic(), new HashMap<>()));
        windows.peekFirst().add(id);
        bytes += message.getSerializedSize();
        while (bytes > maxBytes && !messages.isEmpty()) {
            Iterator<Map.Entry<ByteString, Entry>> it = messages.entrySet().iterator();
            Map.Entry<ByteString, Entry> oldest = it.next();
            bytes -= oldest.getValue().message().getSerializedSize();
            it.remove();
        }
    }

    /**
     * The message for an IWANT from {@code peer}; null when not cached or already sent to that peer
     * {@code maxTransmissions} times.
     */
    public Message getForPeer(ByteString id, PeerId peer, int maxTransmissions) {
        Entry e = messages.get(id);
        if (e == null) {
            return null;
        }
        int n = e.sent().merge(peer, 1, Integer::sum);
        return n > maxTransmissions ? null : e.message();
    }

    public boolean contains(ByteString id) {
        return messages.containsKey(id);
    }

    /** Ids of {@code topic} in the gossip windows. */
    public List<ByteString> gossipIds(String topic) {
        List<ByteString> ids = new ArrayList<>();
        int i = 0;
        for (List<ByteString> w : windows) {
            if (i++ >= gossip) {
                break;
            }
            for (ByteString id : w) {
                Entry e = messages.get(id);
                if (e != null && e.topic().equals(topic)) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }

    /** Starts a new window (each heartbeat); the oldest window's messages leave the cache. */
    public void shift() {
        windows.addFirst(new ArrayList<>());
        while (windows.size() > windowCount) {
            for (ByteString id : windows.removeLast()) {
                Entry e = messages.remove(id);
                if (e != null) {
                    bytes -= e.message().getSerializedSize();
                }
            }
        }
    }

    public int size() {
        return messages.size();
    }

    public long bytes() {
        return bytes;
    }
}
