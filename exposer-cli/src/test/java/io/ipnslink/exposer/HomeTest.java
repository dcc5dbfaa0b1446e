package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Private files of the state directory: owner-only from the first byte, no symlink followed. */
class HomeTest {
    static final byte[] SECRET = "secret key bytes".getBytes(StandardCharsets.US_ASCII);
    static final byte[] VICTIM = "someone else's file".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;
    Home home;
    Path victim;

    @BeforeEach
    void setUp() throws IOException {
        // The tests check modes: they need the POSIX file system the build runs on (Linux, macOS).
        assertTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"), "test needs a POSIX file system");
        home = new Home(dir.resolve("home"));
        victim = dir.resolve("victim");
        Files.write(victim, VICTIM);
    }

    @Test
    void aSymlinkPlantedAtTheOldPredictableTemporaryNameIsNotFollowed() throws IOException {
        Files.createDirectories(home.dir());
        Path target = home.hostKeyFile();
        Path planted = target.resolveSibling(target.getFileName() + ".tmp");
        Files.createSymbolicLink(planted, victim);
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-r--r--"));

        Home.writePrivate(target, SECRET);

        assertArrayEquals(VICTIM, Files.readAllBytes(victim), "the file the symlink points at was written");
        assertEquals("rw-r--r--", mode(victim), "the file the symlink points at was chmod-ed");
        assertFalse(Files.isSymbolicLink(target), "the target became the planted symlink");
        assertArrayEquals(SECRET, Files.readAllBytes(target));
        assertTrue(Files.isSymbolicLink(planted), "the planted link is left alone");
    }

    @Test
    void aSymlinkAtTheTargetIsReplacedNotFollowed() throws IOException {
        Files.createDirectories(home.dir());
        Path target = home.controlFile();
        Files.createSymbolicLink(target, victim);

        Home.writePrivate(target, SECRET);

        assertArrayEquals(VICTIM, Files.readAllBytes(victim));
        assertFalse(Files.isSymbolicLink(target));
        assertArrayEquals(SECRET, Files.readAllBytes(target));
        assertEquals("rw-------", mode(target));
    }

    @Test
    void theTemporaryFileIsOwnerOnlyAndEmptyWhenItIsCreated() throws IOException {
        Path target = home.hostKeyFile();
        List<String> seen = new ArrayList<>();
        Home.writePrivate(target, SECRET, tmp -> {
            try {
                seen.add(tmp.getParent() + "|" + tmp.getFileName() + "|" + mode(tmp) + "|" + Files.size(tmp)
                        + "|" + Files.isSymbolicLink(tmp));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertEquals(1, seen.size());
        String[] parts = seen.get(0).split("\\|");
        assertEquals(target.getParent().toString(), parts[0], "temporary file in the target's directory");
        assertNotEquals("host.key.tmp", parts[1]);
        assertTrue(parts[1].startsWith(".host.key.") && parts[1].endsWith(".tmp"), parts[1]);
        assertEquals("rw-------", parts[2], "mode of the temporary file at its creation");
        assertEquals("0", parts[3]);
        assertEquals("false", parts[4]);
        assertEquals("rw-------", mode(target));
        assertArrayEquals(SECRET, Files.readAllBytes(target));
    }

    @Test
    void temporaryNamesAreUnpredictableAndNoneIsLeftBehind() throws IOException {
        Path target = home.controlFile();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Home.writePrivate(target, SECRET, tmp -> names.add(tmp.getFileName().toString()));
        }
        assertEquals(3, names.stream().distinct().count(), names.toString());
        try (Stream<Path> files = Files.list(home.dir())) {
            assertEquals(List.of(target), files.toList());
        }
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path target = home.controlFile();
        Home.writePrivate(target, VICTIM);
        assertThrows(IllegalStateException.class, () -> Home.writePrivate(target, SECRET, tmp -> {
            throw new IllegalStateException("disk full");
        }));
        assertArrayEquals(VICTIM, Files.readAllBytes(target));
        try (Stream<Path> files = Files.list(home.dir())) {
            assertEquals(List.of(target), files.toList());
        }
    }

    @Test
    void hostKeyAndStateDirectoryAreOwnerOnly() throws IOException {
        home.hostKey();
        assertEquals("rwx------", mode(home.dir()));
        assertEquals("rw-------", mode(home.hostKeyFile()));
        home.keystore();
        assertEquals("rwx------", mode(home.keystoreDir()));
        Path nested = home.stateDir().resolve("a/b/seq");
        Home.writePrivate(nested, SECRET);
        assertEquals("rwx------", mode(home.stateDir()));
        assertEquals("rwx------", mode(nested.getParent()));
        assertEquals("rw-------", mode(nested));
    }

    private static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
