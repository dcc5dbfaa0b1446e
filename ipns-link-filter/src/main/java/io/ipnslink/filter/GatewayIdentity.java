package io.ipnslink.filter;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.keystore.KeyFiles;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** The gateway's libp2p identity: {@value #KEY_FILE} in the data directory, created on first start. */
final class GatewayIdentity {
    /** Key file name (libp2p protobuf, cleartext; owner-only permissions where the OS has them). */
    static final String KEY_FILE = "gateway.key";

    private GatewayIdentity() {}

    static PrivKey loadOrCreate(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(KEY_FILE);
        if (Files.exists(file)) {
            return KeyFiles.readAny(Files.readAllBytes(file));
        }
        PrivKey key = Ed25519PrivKey.generate();
        Path tmp = Files.createTempFile(dataDir, KEY_FILE, ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
            Files.write(tmp, KeyFiles.export(key, KeyFiles.Format.LIBP2P_PROTOBUF_CLEARTEXT));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file);
            }
        } catch (FileAlreadyExistsException e) {
            return KeyFiles.readAny(Files.readAllBytes(file));
        } finally {
            Files.deleteIfExists(tmp);
        }
        return KeyFiles.readAny(Files.readAllBytes(file));
    }
}
