package io.ipnslink.core.keystore;

import io.ipnslink.core.crypto.KeyFormatException;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.core.multiformats.MultiformatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of named private keys in Kubo's keystore layout ({@code $IPFS_PATH/keystore/}), so
 * that keys move freely between Kubo and IPNS-Link.
 *
 * <p>Layout, as in Kubo's {@code keystore/keystore.go}: one file per key, named {@code key_} +
 * lower-case unpadded RFC 4648 base32 of the UTF-8 name (so any name is a safe file name);
 * content: the marshalled libp2p {@code PrivateKey} protobuf. Files of any other name are ignored
 * (Kubo's repo migration 8-to-9 renamed the old plain-name files). Kubo writes key files with
 * mode 0400; this class writes 0600 where the file system has POSIX permissions, atomically
 * (temporary file, fsync, then rename: {@link PrivateFiles}), and never overwrites unless asked.
 *
 * <p>Names: not empty, at most {@value #MAX_NAME_BYTES} UTF-8 bytes, no control characters, and
 * not {@code self} (Kubo's name for the node's own identity key, which lives in its config).
 * Thread-safe as far as the file system is; not safe against two processes renaming the same key.
 */
public final class Keystore {
    /** Prefix of key file names. */
    public static final String KEY_FILE_PREFIX = "key_";
    /** Reserved name: Kubo's node identity. */
    public static final String SELF = "self";
    /** Longest name, in UTF-8 bytes (keeps the encoded file name under 255 bytes). */
    public static final int MAX_NAME_BYTES = 150;
    /** Largest key file read. */
    public static final int MAX_KEY_FILE_BYTES = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(Keystore.class);
    private static final String TEMP_PREFIX = ".tmp-";
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private final Path dir;

    private Keystore(Path dir) {
        this.dir = dir;
    }

    /** Opens the keystore in {@code dir}, creating the directory (mode 0700) when missing. */
    public static Keystore open(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                if (posix(dir.toAbsolutePath().getParent())) {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
                } else {
                    Files.createDirectories(dir);
                }
            }
        } catch (IOException e) {
            throw new KeystoreException(KeystoreException.Reason.IO, "cannot create keystore directory " + dir + ": " + e, e);
        }
        return new Keystore(dir);
    }

    public Path directory() {
        return dir;
    }

    /** Names of the keys, sorted. Files whose names do not decode are skipped with a warning. */
    public List<String> list() {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String file = p.getFileName().toString();
                if (file.startsWith(TEMP_PREFIX)) {
                    continue;
                }
                Optional<String> name = nameForFile(file);
                if (name.isPresent()) {
                    names.add(name.get());
                } else {
                    LOG.warn("keystore {}: ignoring file with an unexpected name: {}", dir, file);
                }
            }
        } catch (IOException e) {
            throw io("cannot list keystore " + dir, e);
        }
        Collections.sort(names);
        return names;
    }

    public boolean has(String name) {
        return Files.exists(pathFor(name));
    }

    /** The key, or empty when there is none by that name. */
    public Optional<PrivKey> find(String name) {
        Path p = pathFor(name);
        byte[] data;
        try {
            data = readLimited(p);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw io("cannot read key '" + name + "'", e);
        }
        try {
            return Optional.of(PrivKey.unmarshal(data));
        } catch (KeyFormatException e) {
            throw new KeystoreException(KeystoreException.Reason.CORRUPT_KEY_FILE,
                    "key file " + p.getFileName() + " (key '" + name + "') is unreadable: " + e.getMessage(), e);
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }

    /** @throws KeystoreException NO_SUCH_KEY when absent */
    public PrivKey get(String name) {
        return find(name).orElseThrow(() -> new KeystoreException(KeystoreException.Reason.NO_SUCH_KEY,
                "no key named '" + name + "' in " + dir));
    }

    /** Stores a new key. @throws KeystoreException KEY_EXISTS when the name is taken */
    public void put(String name, PrivKey key) {
        put(name, key, false);
    }

    /** Stores a key, replacing an existing one only when {@code overwrite}. */
    public void put(String name, PrivKey key, boolean overwrite) {
        validateNewName(name);
        Path target = pathFor(name);
        byte[] data = key.marshal();
        Path tmp = null;
        try {
            tmp = writeTemp(data);
            if (overwrite) {
                moveReplacing(tmp, target);
            } else {
                linkOrFail(tmp, target, name);
                Files.deleteIfExists(tmp);
            }
            tmp = null;
            syncDirectory();
        } catch (IOException e) {
            throw io("cannot write key '" + name + "'", e);
        } finally {
            Arrays.fill(data, (byte) 0);
            deleteQuietly(tmp);
        }
    }

    /** Renames a key; the target must be free unless {@code overwrite}. */
    public void rename(String from, String to, boolean overwrite) {
        Path source = pathFor(from);
        validateNewName(to);
        if (SELF.equals(from)) {
            throw new KeystoreException(KeystoreException.Reason.INVALID_NAME, "cannot rename the key named 'self'");
        }
        if (from.equals(to)) {
            throw new KeystoreException(KeystoreException.Reason.INVALID_NAME, "cannot rename key '" + from + "' to itself");
        }
        if (!Files.exists(source)) {
            throw new KeystoreException(KeystoreException.Reason.NO_SUCH_KEY, "no key named '" + from + "' in " + dir);
        }
        Path target = pathFor(to);
        try {
            if (overwrite) {
                moveReplacing(source, target);
            } else {
                linkOrFail(source, target, to);
                Files.delete(source);
            }
            syncDirectory();
        } catch (NoSuchFileException e) {
            throw new KeystoreException(KeystoreException.Reason.NO_SUCH_KEY, "no key named '" + from + "' in " + dir, e);
        } catch (IOException e) {
            throw io("cannot rename key '" + from + "' to '" + to + "'", e);
        }
    }

    /** Removes a key. @return false when there was none */
    public boolean remove(String name) {
        try {
            boolean removed = Files.deleteIfExists(pathFor(name));
            if (removed) {
                syncDirectory();
            }
            return removed;
        } catch (IOException e) {
            throw io("cannot remove key '" + name + "'", e);
        }
    }

    /** The file name Kubo uses for a key name: {@code key_} + base32 lower, unpadded. */
    public static String fileNameFor(String name) {
        validateName(name);
        return KEY_FILE_PREFIX + Multibase.Base.BASE32.encodeRaw(name.getBytes(StandardCharsets.UTF_8));
    }

    /** The key name a file holds, or empty when the file name is not a keystore entry. */
    public static Optional<String> nameForFile(String fileName) {
        if (!fileName.startsWith(KEY_FILE_PREFIX) || fileName.length() == KEY_FILE_PREFIX.length()) {
            return Optional.empty();
        }
        try {
            byte[] raw = Multibase.Base.BASE32.decodeRaw(fileName.substring(KEY_FILE_PREFIX.length()));
            String name = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw)).toString();
            if (name.isEmpty() || !fileName.equals(KEY_FILE_PREFIX + Multibase.Base.BASE32.encodeRaw(raw))) {
                return Optional.empty(); // not the canonical encoding: Kubo would not find it either
            }
            return Optional.of(name);
        } catch (MultiformatException | CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /**
     * Checks a name for reading or removing: not empty, at most {@value #MAX_NAME_BYTES} bytes, no
     * control characters. @throws KeystoreException INVALID_NAME
     */
    public static void validateName(String name) {
        if (name == null || name.isEmpty()) {
            throw new KeystoreException(KeystoreException.Reason.INVALID_NAME, "key name must not be empty");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new KeystoreException(KeystoreException.Reason.INVALID_NAME,
                    "key name is longer than " + MAX_NAME_BYTES + " bytes");
        }
        name.codePoints().forEach(cp -> {
            if (Character.isISOControl(cp)) {
                throw new KeystoreException(KeystoreException.Reason.INVALID_NAME,
                        "key name must not contain control characters (found U+" + String.format("%04X", cp) + ")");
            }
            if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                throw new KeystoreException(KeystoreException.Reason.INVALID_NAME, "key name is not valid Unicode");
            }
        });
    }

    /** {@link #validateName} plus: not {@code self}. */
    public static void validateNewName(String name) {
        validateName(name);
        if (SELF.equals(name)) {
            throw new KeystoreException(KeystoreException.Reason.INVALID_NAME,
                    "cannot use the key name 'self' (reserved for the node identity)");
        }
    }

    private Path pathFor(String name) {
        return dir.resolve(fileNameFor(name));
    }

    private Path writeTemp(byte[] data) throws IOException {
        return PrivateFiles.writeTemp(dir, TEMP_PREFIX, ".key", data, tmp -> { });
    }

    private void linkOrFail(Path existing, Path target, String name) throws IOException {
        try {
            Files.createLink(target, existing); // atomic: fails when the target exists
        } catch (FileAlreadyExistsException e) {
            throw new KeystoreException(KeystoreException.Reason.KEY_EXISTS,
                    "a key named '" + name + "' already exists; refusing to overwrite", e);
        } catch (UnsupportedOperationException | IOException e) {
            // no hard links here: a copy that refuses an existing target
            try {
                Files.copy(existing, target);
            } catch (FileAlreadyExistsException e2) {
                throw new KeystoreException(KeystoreException.Reason.KEY_EXISTS,
                        "a key named '" + name + "' already exists; refusing to overwrite", e2);
            }
        }
    }

    private static void moveReplacing(Path from, Path to) throws IOException {
        PrivateFiles.moveReplacing(from, to);
    }

    private void syncDirectory() {
        PrivateFiles.syncDirectory(dir);
    }

    private static byte[] readLimited(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] data = in.readNBytes(MAX_KEY_FILE_BYTES + 1);
            if (data.length > MAX_KEY_FILE_BYTES) {
                throw new KeystoreException(KeystoreException.Reason.CORRUPT_KEY_FILE,
                        "key file " + p.getFileName() + " is larger than " + MAX_KEY_FILE_BYTES + " bytes");
            }
            return data;
        }
    }

    private static boolean posix(Path p) {
        try {
            return p != null && Files.getFileStore(p).supportsFileAttributeView("posix");
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("cannot delete temporary file {}: {}", p, e.toString());
            }
        }
    }

    private static KeystoreException io(String what, IOException e) {
        return new KeystoreException(KeystoreException.Reason.IO, what + ": " + e, e);
    }
}
