package io.ipnslink.p2p.ipns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsRecord;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RecordRaceTest {
    private static final PrivKey KEY = PrivKey.generateEd25519();

    private static IpnsRecord record(long seq) {
        return IpnsRecord.builder(KEY).value("/ipfs/bafkqaaa").sequence(seq).lifetime(Duration.ofHours(1)).build();
    }

    @Test
    void theBestOfAllAnswersWinsWhenAllAnswerInTime() throws Exception {
        Map<String, CompletableFuture<Optional<IpnsRecord>>> routes = new LinkedHashMap<>();
        CompletableFuture<Optional<IpnsRecord>> a = new CompletableFuture<>();
        CompletableFuture<Optional<IpnsRecord>> b = new CompletableFuture<>();
        CompletableFuture<Optional<IpnsRecord>> c = new CompletableFuture<>();
        routes.put("a", a);
        routes.put("b", b);
        routes.put("c", c);
        CompletableFuture<RecordRace.Outcome> race = RecordRace.race(routes, Duration.ofMinutes(1), Duration.ofMinutes(1));
        a.complete(Optional.of(record(1)));
        assertFalse(race.isDone(), "waits for the others within the grace");
        b.complete(Optional.of(record(5)));
        c.completeExceptionally(new IllegalStateException("boom"));
        RecordRace.Outcome o = race.get(5, TimeUnit.SECONDS);
        assertEquals(5, o.best().orElseThrow().sequence());
        assertEquals("b", o.route());
        assertEquals("failed: boom", o.answers().get("c"));
    }

    @Test
    void theGraceEndsTheRaceAfterTheFirstValidAnswer() throws Exception {
        Map<String, CompletableFuture<Optional<IpnsRecord>>> routes = new LinkedHashMap<>();
        routes.put("fast", CompletableFuture.completedFuture(Optional.of(record(2))));
        routes.put("silent", new CompletableFuture<>());
        RecordRace.Outcome o = RecordRace.race(routes, Duration.ofMillis(50), Duration.ofMinutes(5)).get(5, TimeUnit.SECONDS);
        assertEquals(2, o.best().orElseThrow().sequence());
        assertEquals("no answer in time", o.answers().get("silent"));
    }

    @Test
    void nothingFoundAndAllFailedAreTold() throws Exception {
        Map<String, CompletableFuture<Optional<IpnsRecord>>> routes = new LinkedHashMap<>();
        routes.put("x", CompletableFuture.failedFuture(new RuntimeException("down")));
        routes.put("y", new CompletableFuture<>());
        RecordRace.Outcome o = RecordRace.race(routes, Duration.ofMillis(50), Duration.ofMillis(100)).get(5, TimeUnit.SECONDS);
        assertTrue(o.best().isEmpty());
        assertTrue(o.allFailed(), o.answers().toString());
        Map<String, CompletableFuture<Optional<IpnsRecord>>> none = new LinkedHashMap<>();
        none.put("z", CompletableFuture.completedFuture(Optional.empty()));
        RecordRace.Outcome n = RecordRace.race(none, Duration.ofMillis(50), Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        assertTrue(n.best().isEmpty());
        assertFalse(n.allFailed());
    }
}
