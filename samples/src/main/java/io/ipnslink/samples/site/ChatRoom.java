package io.ipnslink.samples.site;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sample site's chat: a WebSocket endpoint at {@link #PATH} where every text message from one
 * member goes to all members (two browser tabs see each other's lines). Text only, one line per
 * message: {@code guest-N: text}, {@code * guest-N joined}, {@code * guest-N left}; a newcomer first
 * gets the last {@link #HISTORY} lines. Every stranger is bounded: members, message size and the
 * lines waiting for a slow member (past {@link #MAX_QUEUED} that member is closed; the others go on).
 */
final class ChatRoom {
    /** Path of the WebSocket endpoint (the page connects to {@code chat} relative to itself). */
    static final String PATH = "/chat";
    /** Most members at once; more are closed with TRY_AGAIN_LATER. */
    static final int MAX_MEMBERS = 100;
    /** Longest message in characters; longer ones close the sender's socket (TOO_BIG). */
    static final int MAX_MESSAGE_CHARS = 500;
    /** Lines kept for newcomers. */
    static final int HISTORY = 50;
    /** Lines waiting for one member's socket; more close that member. */
    static final int MAX_QUEUED = 256;

    private final Map<String, Member> members = new ConcurrentHashMap<>();
    private final Deque<String> history = new ArrayDeque<>();
    private final AtomicInteger guests = new AtomicInteger();

    /** The endpoint's configuration for the container; each socket gets an endpoint bound to this room. */
    ServerEndpointConfig endpointConfig() {
        return ServerEndpointConfig.Builder.create(MemberEndpoint.class, PATH)
                .configurator(new ServerEndpointConfig.Configurator() {
                    @Override
                    public <T> T getEndpointInstance(Class<T> type) {
                        return type.cast(new MemberEndpoint(ChatRoom.this));
                    }
                }).build();
    }

    int size() {
        return members.size();
    }

    private void join(Session s) {
        if (members.size() >= MAX_MEMBERS) {
            close(s, new CloseReason(CloseReason.CloseCodes.TRY_AGAIN_LATER, "the room is full"));
            return;
        }
        s.setMaxTextMessageBufferSize(MAX_MESSAGE_CHARS * 4); // UTF-8 bytes
        Member m = new Member(s, "guest-" + guests.incrementAndGet());
        List<String> past;
        synchronized (history) {
            past = new ArrayList<>(history);
        }
        members.put(s.getId(), m);
        m.send("* you are " + m.name);
        past.forEach(m::send);
        broadcast("* " + m.name + " joined");
        s.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> said(m, text));
    }

    private void said(Member m, String text) {
        String line = text.replaceAll("[\\r\\n]+", " ").strip();
        if (line.isEmpty()) {
            return;
        }
        if (line.length() > MAX_MESSAGE_CHARS) {
            line = line.substring(0, MAX_MESSAGE_CHARS);
        }
        broadcast(m.name + ": " + line);
    }

    private void left(Session s) {
        Member m = members.remove(s.getId());
        if (m != null) {
            broadcast("* " + m.name + " left");
        }
    }

    private void broadcast(String line) {
        synchronized (history) {
            history.addLast(line);
            while (history.size() > HISTORY) {
                history.removeFirst();
            }
        }
        members.values().forEach(m -> m.send(line));
    }

    private static void close(Session s, CloseReason reason) {
        try {
            s.close(reason);
        } catch (IOException e) {
            // already gone
        }
    }

    /** One socket: lines go out one at a time (one async send in flight), the rest wait, bounded. */
    private static final class Member {
        final Session session;
        final String name;
        private final Deque<String> queue = new ArrayDeque<>();
        private boolean sending;

        Member(Session session, String name) {
            this.session = session;
            this.name = name;
        }

        void send(String line) {
            synchronized (this) {
                if (queue.size() >= MAX_QUEUED) {
                    queue.clear();
                    close(session, new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "too slow"));
                    return;
                }
                queue.addLast(line);
                if (sending) {
                    return;
                }
                sending = true;
            }
            next();
        }

        private void next() {
            String line;
            synchronized (this) {
                line = queue.pollFirst();
                if (line == null) {
                    sending = false;
                    return;
                }
            }
            if (!session.isOpen()) {
                synchronized (this) {
                    queue.clear();
                    sending = false;
                }
                return;
            }
            session.getAsyncRemote().sendText(line, (SendResult r) -> {
                if (r.isOK()) {
                    next();
                } else {
                    synchronized (this) {
                        queue.clear();
                        sending = false;
                    }
                }
            });
        }
    }

    /** The container makes one per socket through {@link #endpointConfig()}. */
    public static final class MemberEndpoint extends Endpoint {
        private final ChatRoom room;

        MemberEndpoint(ChatRoom room) {
            this.room = room;
        }

        @Override
        public void onOpen(Session session, EndpointConfig config) {
            room.join(session);
        }

        @Override
        public void onClose(Session session, CloseReason reason) {
            room.left(session);
        }

        @Override
        public void onError(Session session, Throwable t) {
            room.left(session);
        }
    }
}
