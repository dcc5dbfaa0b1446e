package io.ipnslink.p2p.ipns;

import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecords;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Races several routes for one name's record: completes with the best valid record found when
 * every route has answered, or {@code grace} after the first valid answer (a better one may still
 * come), or at {@code timeout}, whichever is first. Routes that fail count as "nothing found";
 * when every route failed and none found anything, the outcome says so ({@link Outcome#allFailed()}).
 */
public final class RecordRace {
    /** How long to wait for a better record once a first valid one is in. */
    public static final Duration DEFAULT_GRACE = Duration.ofMillis(200);

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ipnslink-race-timer");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param best the best record (empty when none was found)
     * @param route the route that gave {@code best} (null when none)
     * @param answers per route: "found", "none", "failed: reason" or "no answer in time"
     */
    public record Outcome(Optional<IpnsRecord> best, String route, Map<String, String> answers) {
        public boolean allFailed() {
            return best.isEmpty() && !answers.isEmpty()
                    && answers.values().stream().allMatch(v -> v.startsWith("failed") || v.startsWith("no answer"));
        }
    }

    private RecordRace() {}

    /** Races {@code routes} (route name to its lookup, already started). */
    public static CompletableFuture<Outcome> race(Map<String, CompletableFuture<Optional<IpnsRecord>>> routes,
            Duration grace, Duration timeout) {
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        Map<String, String> answers = new LinkedHashMap<>();
        Object lock = new Object();
        IpnsRecord[] best = new IpnsRecord[1];
        String[] bestRoute = new String[1];
        int[] pending = {routes.size()};
        boolean[] graceStarted = {false};
        Runnable finish = () -> {
            synchronized (lock) {
                Map<String, String> a = new LinkedHashMap<>(answers);
                for (String r : routes.keySet()) {
                    a.putIfAbsent(r, "no answer in time");
                }
                result.complete(new Outcome(Optional.ofNullable(best[0]), bestRoute[0], a));
            }
        };
        if (routes.isEmpty()) {
            finish.run();
            return result;
        }
        var timeoutTask = TIMER.schedule(finish, Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
        result.whenComplete((o, e) -> timeoutTask.cancel(false));
        routes.forEach((route, lookup) -> lookup.whenComplete((found, error) -> {
            boolean done;
            boolean startGrace = false;
            synchronized (lock) {
                if (result.isDone()) {
                    return;
                }
                if (error != null) {
                    Throwable t = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    answers.put(route, "failed: " + (t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName()));
                } else if (found != null && found.isPresent()) {
                    answers.put(route, "found");
                    if (best[0] == null || IpnsRecords.compare(found.get(), best[0]) > 0) {
                        best[0] = found.get();
                        bestRoute[0] = route;
                    }
                    if (!graceStarted[0]) {
                        graceStarted[0] = true;
                        startGrace = true;
                    }
                } else {
                    answers.put(route, "none");
                }
                done = --pending[0] == 0;
            }
            if (done) {
                finish.run();
            } else if (startGrace) {
                var graceTask = TIMER.schedule(finish, grace.toMillis(), TimeUnit.MILLISECONDS);
                result.whenComplete((o, e) -> graceTask.cancel(false));
            }
        }));
        return result;
    }
}
