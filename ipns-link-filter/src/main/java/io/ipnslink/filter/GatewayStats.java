package io.ipnslink.filter;

import io.ipnslink.filter.errors.GatewayException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request counters of one filter instance: cheap to bump from any thread ({@link LongAdder}s),
 * read only when someone asks for a {@link GatewayStatus}.
 */
final class GatewayStats {
    /** Error kind of a request the router refused (bad name, bad path). */
    static final String INVALID_REQUEST = "invalid-request";
    /** Error kind of a name lookup that outlived its timeout. */
    static final String RESOLVE_TIMEOUT = "resolve-timeout";
    /** Error kind of a request refused for its visitor's limits (rate, requests in progress). */
    static final String VISITOR_LIMIT = "visitor-limit";
    /** Error kind of anything unexpected. */
    static final String INTERNAL = "internal";

    private final LongAdder total = new LongAdder();
    private final LongAdder[] byClass = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};
    /** Kinds come from closed sets (the exceptions' enums and the constants above), so this stays small. */
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

    /** A request the gateway answered itself has ended with {@code status}. */
    void answered(int status) {
        total.increment();
        int c = status / 100;
        if (c >= 2 && c <= 5) {
            byClass[c - 2].increment();
        }
    }

    /** A request failed with {@code failure}. */
    void failed(Throwable failure) {
        failed(kind(failure));
    }

    void failed(String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    GatewayStatus.Requests snapshot() {
        Map<String, Long> e = new TreeMap<>();
        errors.forEach((k, v) -> e.put(k, v.sum()));
        return new GatewayStatus.Requests(total.sum(), byClass[0].sum(), byClass[1].sum(), byClass[2].sum(),
                byClass[3].sum(), e);
    }

    /** {@code ORIGIN_UNREACHABLE} -> {@code origin-unreachable}, and so on. */
    static String kind(Throwable failure) {
        Throwable f = failure;
        while ((f instanceof CompletionException || f instanceof ExecutionException) && f.getCause() != null) {
            f = f.getCause();
        }
        if (f instanceof GatewayException e) {
            return e.kindName();
        }
        if (f instanceof TimeoutException) {
            return RESOLVE_TIMEOUT;
        }
        return INTERNAL;
    }
}
