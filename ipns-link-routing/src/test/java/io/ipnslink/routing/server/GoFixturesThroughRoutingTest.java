package io.ipnslink.routing.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.Fixtures;
import io.ipnslink.core.ipns.Fixtures.Fixture;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.MutableClock;
import io.ipnslink.routing.TomcatServer;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.client.RoutingV1Client;
import io.ipnslink.routing.store.JdbcRecordStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Go-signed fixtures kept in core's test resources ({@link Fixtures}, through core's test jar)
 * published through our client to our servlet and read back.
 */
class GoFixturesThroughRoutingTest {
    static final Pattern NAME_IN_FILE = Pattern.compile("(k51[0-9a-z]+|12D3KooW[1-9A-HJ-NP-Za-km-z]+|Qm[1-9A-HJ-NP-Za-km-z]+)");
    static final Set<String> INVALID_SUFFIXES = Set.of("_v1", "_v1-v2-broken-v1-value", "_v1-v2-broken-signature-v2");

    @TempDir
    static Path dir;
    static MutableClock clock;
    static JdbcRecordStore store;
    static TomcatServer server;
    static RoutingV1Client client;

    @BeforeAll
    static void start() throws Exception {
        clock = MutableClock.atNow();
        store = JdbcRecordStore.h2File(dir.resolve("db"), clock);
        server = new TomcatServer(dir.resolve("tomcat"))
                .mount("/routing/v1/*", new RoutingV1Servlet(store, RoutingV1Servlet.Settings.defaults().withClock(clock)))
                .start();
        client = new RoutingV1Client(RoutingV1Client.Settings.defaults().withClock(clock));
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        server.close();
        store.close();
    }

    @Test
    void validGoRecordsRoundTripByteForByteAndInvalidOnesAre400() throws Exception {
        List<Fixture> files = Fixtures.ipnsRecords();
        assertTrue(files.size() >= 10, "expected the fixture set, found " + files);
        int valid = 0;
        int invalid = 0;
        for (Fixture f : files) {
            String file = f.fileName();
            Matcher m = NAME_IN_FILE.matcher(file);
            assertTrue(m.find(), file);
            IpnsName name = IpnsName.parse(m.group(1));
            byte[] raw = f.bytes();
            URI endpoint = server.baseUri();
            String stem = f.stem();
            if (INVALID_SUFFIXES.stream().anyMatch(stem::endsWith)) {
                RoutingException e = assertThrows(RoutingException.class, () -> client.putIpns(endpoint, name, raw),
                        file);
                assertEquals(400, e.status(), file);
                assertTrue(e.getMessage().contains("invalid record"), e.getMessage());
                invalid++;
                continue;
            }
            // Validate "on a date before its Validity": an hour before it, at most now.
            Instant validity = IpnsRecord.parse(raw).validity();
            Instant before = validity.minus(Duration.ofHours(1));
            clock.set(before.isBefore(Instant.now()) ? before : Instant.now());
            client.putIpns(endpoint, name, raw);
            IpnsRecord back = client.getIpns(endpoint, name).orElseThrow(() -> new AssertionError(file));
            assertArrayEquals(raw, back.raw(), file);
            valid++;
        }
        assertEquals(3, invalid, "invalid fixtures");
        assertFalse(valid < 10, "valid fixtures: " + valid);
    }
}
