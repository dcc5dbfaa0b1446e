package io.ipnslink.core.keystore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes files only their owner may read (private keys, tokens), the way {@link Keystore} does:
 *
 * <ol>
 *   <li>a temporary file in the target's directory, named with 64 random bits from
 *       {@link SecureRandom}, created with {@code CREATE_NEW} and {@code NOFOLLOW_LINKS} (a file or
 *       symbolic link planted at that name makes the creation fail; it is never followed or
 *       truncated) and, on a POSIX file system, mode {@code 0600} given to {@code open(2)} itself,
 *       so the file is never readable by others, not even before its first byte;
 *   <li>the content written through that one open channel and forced to disk;
 *   <li>an atomic rename over the target (a symbolic link at the target is replaced, not
 *       followed), then the directory forced where the platform can.
 * </ol>
 * On a file system without POSIX permissions (Windows) the file gets the directory's default
 * access rules.
 */
public final class PrivateFiles {
    /** Mode of the files written: read and write for the owner only. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    /** Mode of the directories created: the owner only. */
    public static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    /** Temporary names tried before giving up (a clash of 64 random bits means someone plants files). */
    static final int MAX_TEMP_ATTEMPTS = 16;

    private static final Logger LOG = LoggerFactory.getLogger(PrivateFiles.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Consumer<Path> NO_HOOK = p -> { };

    private PrivateFiles() {
    }

    /** Replaces (or creates) {@code target} with {@code content}, as the class comment says. */
    public static void write(Path target, byte[] content) throws IOException {
        write(target, content, NO_HOOK);
    }

    /**
     * As {@link #write(Path, byte[])}; {@code afterCreate} sees the temporary file right after it
     * was created and before any byte is written (tests check its mode at that moment).
     */
    public static void write(Path target, byte[] content, Consumer<Path> afterCreate) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        String prefix = "." + target.getFileName() + ".";
        Path tmp = writeTemp(dir, prefix, ".tmp", content, afterCreate);
        try {
            moveReplacing(tmp, target);
            tmp = null;
        } finally {
            deleteQuietly(tmp);
        }
        syncDirectory(dir);
    }

    /**
     * A new file {@code dir/prefix<16 random hex digits>suffix} holding {@code content}, forced to
     * disk; the caller moves or links it into place and deletes it on failure.
     */
    public static Path writeTemp(Path dir, String prefix, String suffix, byte[] content, Consumer<Path> afterCreate)
            throws IOException {
        boolean posix = isPosix(dir);
        for (int attempt = 1; ; attempt++) {
            Path tmp = dir.resolve(prefix + HexFormat.of().toHexDigits(RANDOM.nextLong()) + suffix);
            FileChannel ch;
            try {
                ch = create(tmp, posix);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= MAX_TEMP_ATTEMPTS) {
                    throw e;
                }
                LOG.warn("temporary file name {} is taken; trying another", tmp.getFileName());
                continue;
            }
            try (ch) {
                afterCreate.accept(tmp);
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            } catch (IOException | RuntimeException | Error e) {
                deleteQuietly(tmp);
                throw e;
            }
            return tmp;
        }
    }

    private static FileChannel create(Path tmp, boolean posix) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        if (posix) {
            FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(FILE_MODE);
            return FileChannel.open(tmp, options, mode);
        }
        return FileChannel.open(tmp, options);
    }

    /** Creates {@code dir} and missing parents with mode 0700 (POSIX); an existing one is left as it is. */
    public static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && isPosix(existing)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
        } else {
            Files.createDirectories(dir);
        }
    }

    /** Atomic rename over {@code to} where the file system can, else a plain replacing move. */
    public static void moveReplacing(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Forces a directory's entries to disk; a no-op where the platform cannot. */
    public static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            // not every platform can fsync a directory; the rename itself is done
        }
    }

    /** True when {@code p}'s file system has POSIX permissions. */
    public static boolean isPosix(Path p) {
        try {
            return p != null && Files.getFileStore(p).supportsFileAttributeView("posix");
        } catch (IOException e) {
            return false;
        }
    }

    static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("cannot delete temporary file {}: {}", p, e.toString());
            }
        }
    }
}
