package io.ipnslink.filter.resolve;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.store.RecordStore;
import io.ipnslink.routing.store.StoredRecord;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The record store as the gateway's routing endpoint sees it: a stored record drops the
 * resolver's cache entry for its name, so a PUT is served at once (even after a cached "not
 * found"). {@link #close()} does not close the underlying store.
 */
public final class InvalidatingRecordStore implements RecordStore {
    private final RecordStore store;
    private final NameResolver resolver;
    private final List<Consumer<IpnsName>> whenStored = new CopyOnWriteArrayList<>();

    public InvalidatingRecordStore(RecordStore store, NameResolver resolver) {
        this.store = Objects.requireNonNull(store, "store");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
    }

    @Override
    public Optional<StoredRecord> get(IpnsName name) {
        return store.get(name);
    }

    @Override
    public boolean put(IpnsName name, IpnsRecord record) {
        boolean stored = store.put(name, record);
        if (stored) {
            resolver.invalidate(name);
            for (Consumer<IpnsName> l : whenStored) {
                l.accept(name);
            }
        }
        return stored;
    }

    /**
     * Calls {@code listener} after each record stored through this store (the cluster tells the
     * other gateways, whose caches hold the old record).
     */
    public void whenStored(Consumer<IpnsName> listener) {
        whenStored.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public List<IpnsName> names(int limit) {
        return store.names(limit);
    }

    @Override
    public long count() {
        return store.count();
    }

    @Override
    public int deleteExpired() {
        return store.deleteExpired();
    }

    @Override
    public void close() {
    }
}
