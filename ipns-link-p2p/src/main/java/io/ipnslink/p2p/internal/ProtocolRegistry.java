package io.ipnslink.p2p.internal;

import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.ProtocolHandler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Protocol id -> handler; copy-on-write, so lookups on the event loops never lock. */
final class ProtocolRegistry {
    /** Most protocols one host serves (keeps the ls answer and identify small). */
    static final int MAX_PROTOCOLS = 128;

    private volatile Map<String, ProtocolHandler> handlers = Map.of();
    private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();

    synchronized void add(ProtocolBinding binding) {
        Map<String, ProtocolHandler> m = new LinkedHashMap<>(handlers);
        for (String id : binding.protocolIds()) {
            m.put(id, binding.handler());
        }
        if (m.size() > MAX_PROTOCOLS) {
            throw new IllegalStateException("a host serves at most " + MAX_PROTOCOLS + " protocols");
        }
        handlers = Collections.unmodifiableMap(m);
        changeListeners.forEach(Runnable::run);
    }

    synchronized void remove(String protocolId) {
        if (!handlers.containsKey(protocolId)) {
            return;
        }
        Map<String, ProtocolHandler> m = new LinkedHashMap<>(handlers);
        m.remove(protocolId);
        handlers = Collections.unmodifiableMap(m);
        changeListeners.forEach(Runnable::run);
    }

    ProtocolHandler get(String protocolId) {
        return handlers.get(protocolId);
    }

    boolean supports(String protocolId) {
        return handlers.containsKey(protocolId);
    }

    List<String> ids() {
        return new ArrayList<>(handlers.keySet());
    }

    void onChange(Runnable listener) {
        changeListeners.add(listener);
    }
}
