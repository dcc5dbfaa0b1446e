package io.ipnslink.exposer;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.keystore.Keystore;
import io.ipnslink.core.keystore.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The state directory ({@code ~/.ipns-link}, or {@code --home}, or {@code IPNS_LINK_HOME}):
 * <pre>
 * keystore/          site keys, Kubo's keystore format (key_&lt;base32 name&gt; files)
 * host.key           the libp2p host identity (libp2p PrivateKey protobuf), made on first use
 * sites/key_*.json  settings of each exposed site (origin, onfail, routers, last addresses)
 * state/K51.seq      last published sequence number per site name (and per stream name)
 * blocks/            the block store (UnixFS imports: ipfs add, expose --static/--stream, stream)
 * streams/*.json     streams that {@code ipns-link stream} processes run for sites (StreamRegistry)
 * expose.json        control file of the running {@code expose} (admin port and token)
 * </pre>
 */
public record Home(Path dir) {
    /** Environment variable naming the state directory. */
    public static final String ENV = "IPNS_LINK_HOME";
    /** Default directory name under the user's home. */
    public static final String DEFAULT_DIR = ".ipns-link";
    /** Largest host key file read. */
    public static final int MAX_HOST_KEY_BYTES = 64 * 1024;

    /** The directory from an option, else the environment, else {@code ~/.ipns-link}. */
    public static Home resolve(String option, Map<String, String> env) {
        if (option != null && !option.isBlank()) {
            return new Home(Path.of(option).toAbsolutePath());
        }
        String e = env.get(ENV);
        if (e != null && !e.isBlank()) {
            return new Home(Path.of(e).toAbsolutePath());
        }
        return new Home(Path.of(System.getProperty("user.home"), DEFAULT_DIR));
    }

    public Path keystoreDir() {
        return dir.resolve("keystore");
    }

    public Path hostKeyFile() {
        return dir.resolve("host.key");
    }

    public Path sitesDir() {
        return dir.resolve("sites");
    }

    public Path stateDir() {
        return dir.resolve("state");
    }

    /** The block store ({@code ipns-link ipfs add} writes here; the exposer serves from here). */
    public Path blocksDir() {
        return dir.resolve("blocks");
    }

    /** Registrations of the {@code ipns-link stream} processes ({@link StreamRegistry}). */
    public Path streamsDir() {
        return dir.resolve("streams");
    }

    public Path controlFile() {
        return dir.resolve("expose.json");
    }

    /** The keystore, created when missing. */
    public Keystore keystore() {
        try {
            createPrivateDir(dir);
            createPrivateDir(keystoreDir());
            return Keystore.open(keystoreDir());
        } catch (IOException e) {
            throw new ExposerException("cannot create the keystore in " + keystoreDir() + ": " + e.getMessage(), e);
        }
    }

    /** The site key {@code name}. @throws ExposerException "unknown site" when there is none */
    public PrivKey siteKey(String name) {
        Keystore ks = keystore();
        Keystore.validateName(name);
        return ks.find(name).orElseThrow(() -> new ExposerException("unknown site '" + name
                + "': no key of that name in " + keystoreDir() + " (create it with: ipns-link key gen " + name + ")"));
    }

    /**
     * The key {@code name}, generated (Ed25519) and saved in the keystore when there is none: a
     * live stream's key ({@link PathPrefixes#streamKeyName}). Two processes creating it at once get
     * the same key (the keystore refuses the second write; the loser reads the winner's).
     */
    public PrivKey keyCreatedOnFirstUse(String name) {
        Keystore ks = keystore();
        Keystore.validateNewName(name);
        java.util.Optional<PrivKey> found = ks.find(name);
        if (found.isPresent()) {
            return found.get();
        }
        PrivKey key = PrivKey.generateEd25519();
        try {
            ks.put(name, key, false);
            return key;
        } catch (io.ipnslink.core.keystore.KeystoreException e) {
            if (e.reason() == io.ipnslink.core.keystore.KeystoreException.Reason.KEY_EXISTS) {
                return ks.get(name);
            }
            throw e;
        }
    }

    /** The host identity, generated (Ed25519) and saved on first use. */
    public synchronized PrivKey hostKey() {
        Path f = hostKeyFile();
        try {
            if (Files.exists(f)) {
                if (Files.size(f) > MAX_HOST_KEY_BYTES) {
                    throw new ExposerException("host key " + f + " is larger than " + MAX_HOST_KEY_BYTES + " bytes");
                }
                return PrivKey.unmarshal(Files.readAllBytes(f));
            }
            createPrivateDir(dir);
            PrivKey key = PrivKey.generateEd25519();
            writePrivate(f, key.marshal());
            return key;
        } catch (IOException e) {
            throw new ExposerException("cannot read or create the host key " + f + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ExposerException("host key " + f + " is not a libp2p private key: " + e.getMessage(), e);
        }
    }

    /** Creates {@code d} (and missing parents) with mode 0700 where POSIX; an existing one is left alone. */
    static void createPrivateDir(Path d) throws IOException {
        PrivateFiles.createPrivateDirectories(d);
    }

    /**
     * Writes {@code content} to {@code target}, readable only by the owner from the first byte on
     * ({@link PrivateFiles}, as the keystore writes keys): a temporary file with a random name in
     * the same directory, created exclusively with mode 0600 without following symbolic links,
     * written, forced, then renamed over the target atomically.
     */
    public static void writePrivate(Path target, byte[] content) throws IOException {
        writePrivate(target, content, tmp -> { });
    }

    /** As {@link #writePrivate(Path, byte[])}; {@code afterCreate} sees the empty temporary file (tests). */
    static void writePrivate(Path target, byte[] content, Consumer<Path> afterCreate) throws IOException {
        createPrivateDir(target.toAbsolutePath().getParent());
        PrivateFiles.write(target, content, afterCreate);
    }
}
