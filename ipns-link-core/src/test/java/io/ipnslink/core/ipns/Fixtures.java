package io.ipnslink.core.ipns;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/** Locates /work/shared/fixtures: system property {@code ipnslink.fixtures.dir}, else a parent's {@code shared/fixtures}. */
final class Fixtures {
    static final String PROPERTY = "ipnslink.fixtures.dir";

    private Fixtures() {}

    /** The {@code ipns/} fixtures folder; fails the test (never skips) when it cannot be found. */
    static Path ipnsDir() {
        Path dir = root().resolve("ipns");
        if (!Files.isDirectory(dir)) {
            fail("IPNS fixtures folder missing: " + dir);
        }
        return dir;
    }

    static Path root() {
        String prop = System.getProperty(PROPERTY);
        if (prop != null && Files.isDirectory(Paths.get(prop, "ipns"))) {
            return Paths.get(prop).normalize();
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("fixtures");
            if (Files.isDirectory(candidate.resolve("ipns"))) {
                return candidate;
            }
        }
        return fail("fixtures not found: set -D" + PROPERTY + " or run from a tree next to shared/fixtures (property was " + prop + ")");
    }

    static List<Path> ipnsRecords() {
        try (Stream<Path> files = Files.list(ipnsDir())) {
            return files.filter(f -> f.getFileName().toString().endsWith(".ipns-record")).sorted().toList();
        } catch (IOException e) {
            return fail("cannot list fixtures: " + e);
        }
    }

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            return fail("cannot read " + p + ": " + e);
        }
    }
}
