package io.ipnslink.routing.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.TestRecords;
import io.ipnslink.routing.TestRecords.Identity;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A put acknowledged by a process that then dies without any cleanup is still there on restart. */
class CrashDurabilityTest {
    @TempDir
    Path dir;

    @Test
    void acknowledgedPutSurvivesAProcessKilledRightAfterIt() throws Exception {
        Identity alice = TestRecords.newIdentity();
        IpnsRecord r = alice.record(42, Instant.now().plus(Duration.ofHours(1)));
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                CrashingWriter.class.getName(), dir.toString(), alice.name().toString(),
                HexFormat.of().formatHex(r.raw())))
                .redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader rd = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = rd.readLine()) != null; ) {
                out.append(line).append('\n');
            }
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "writer did not exit");
        assertEquals(CrashingWriter.EXIT_CODE, p.exitValue(), out.toString());
        assertTrue(out.toString().contains("stored true"), out.toString());

        try (JdbcRecordStore store = JdbcRecordStore.h2File(dir)) {
            assertArrayEquals(r.raw(), store.get(alice.name()).orElseThrow().record().raw());
        }
    }

    /** Child process: one put, then halt (no shutdown hooks, no close). */
    public static final class CrashingWriter {
        static final int EXIT_CODE = 77;

        public static void main(String[] args) {
            JdbcRecordStore store = JdbcRecordStore.h2File(Path.of(args[0]));
            boolean stored = store.put(IpnsName.parse(args[1]), IpnsRecord.parse(HexFormat.of().parseHex(args[2])));
            System.out.println("stored " + stored);
            System.out.flush();
            Runtime.getRuntime().halt(EXIT_CODE);
        }
    }
}
