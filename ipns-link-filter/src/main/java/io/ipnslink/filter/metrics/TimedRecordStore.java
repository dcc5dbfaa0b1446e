package io.ipnslink.filter.metrics;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.store.RecordStore;
import io.ipnslink.routing.store.StoredRecord;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link RecordStore} that times every call of the store it wraps and hands the time to a
 * {@link Sink} (the metrics' store latency timers). Until a sink is set it only passes calls on;
 * the wrapper is made before the metrics (the resolver and the routing endpoint take the store
 * first), the sink is set once the registry exists.
 */
public final class TimedRecordStore implements RecordStore {
    /** The store operations timed. */
    public enum Op {
        GET, PUT, NAMES, COUNT, DELETE_EXPIRED;

        /** The metric's label value. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Receives one timing per store call; must not block. */
    @FunctionalInterface
    public interface Sink {
        void record(Op op, boolean ok, long nanos);
    }

    private final RecordStore delegate;
    private volatile Sink sink;

    public TimedRecordStore(RecordStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The wrapped store. */
    public RecordStore delegate() {
        return delegate;
    }

    /** Where the timings go from now on; null: nowhere. */
    public void sink(Sink s) {
        this.sink = s;
    }

    @Override
    public Optional<StoredRecord> get(IpnsName name) {
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            Optional<StoredRecord> r = delegate.get(name);
            ok = true;
            return r;
        } finally {
            done(Op.GET, ok, t0);
        }
    }

    @Override
    public boolean put(IpnsName name, IpnsRecord record) {
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            boolean r = delegate.put(name, record);
            ok = true;
            return r;
        } finally {
            done(Op.PUT, ok, t0);
        }
    }

    @Override
    public List<IpnsName> names(int limit) {
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            List<IpnsName> r = delegate.names(limit);
            ok = true;
            return r;
        } finally {
            done(Op.NAMES, ok, t0);
        }
    }

    @Override
    public long count() {
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            long r = delegate.count();
            ok = true;
            return r;
        } finally {
            done(Op.COUNT, ok, t0);
        }
    }

    @Override
    public int deleteExpired() {
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            int r = delegate.deleteExpired();
            ok = true;
            return r;
        } finally {
            done(Op.DELETE_EXPIRED, ok, t0);
        }
    }

    /**
     * Closes the wrapped store. The gateway closes the store it opened itself; this wrapper is not
     * pushed on its closeables.
     */
    @Override
    public void close() {
        delegate.close();
    }

    private void done(Op op, boolean ok, long t0) {
        Sink s = sink;
        if (s != null) {
            s.record(op, ok, System.nanoTime() - t0);
        }
    }

    @Override
    public String toString() {
        return "Timed[" + delegate + "]";
    }
}
