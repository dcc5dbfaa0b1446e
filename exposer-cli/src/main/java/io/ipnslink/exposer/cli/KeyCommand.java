package io.ipnslink.exposer.cli;

import io.ipnslink.core.crypto.EcdsaPrivKey;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.RsaPrivKey;
import io.ipnslink.core.crypto.Secp256k1PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.keystore.KeyFiles;
import io.ipnslink.core.keystore.Keystore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipns-link key ...}: site keys in {@code <home>/keystore} (Kubo's keystore format). */
@Command(name = "key", mixinStandardHelpOptions = true, description = "Manage site keys (Kubo keystore format).",
        subcommands = {KeyCommand.Gen.class, KeyCommand.ListKeys.class, KeyCommand.Rename.class, KeyCommand.Rm.class,
                KeyCommand.Export.class, KeyCommand.Import.class, KeyCommand.Swarm.class})
final class KeyCommand extends Base implements Runnable {
    /** Largest key file imported. */
    static final int MAX_IMPORT_BYTES = KeyFiles.MAX_FILE_BYTES;

    enum KeyTypeOption { ed25519, rsa, secp256k1, ecdsa }

    @Override
    public void run() {
        spec.commandLine().usage(out());
    }

    static Map<String, Object> describe(String name, PrivKey key) {
        IpnsName n = IpnsName.of(key.peerId());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("id", n.toString());
        m.put("base58", n.toBase58());
        m.put("type", key.type().toString().toLowerCase(java.util.Locale.ROOT));
        return m;
    }

    void print(Map<String, Object> m) {
        if (json()) {
            root().printJson(m);
        } else {
            out().println(m.get("name") + "  " + m.get("id") + "  " + m.get("base58"));
        }
    }

    @Command(name = "gen", mixinStandardHelpOptions = true, description = "Generate a new site key.")
    static final class Gen extends Base implements Runnable {
        @Parameters(paramLabel = "NAME", description = "key (site) name")
        String name;

        @Option(names = {"-t", "--type"}, defaultValue = "ed25519",
                description = "key type: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
        KeyTypeOption type;

        @Option(names = {"-s", "--size"}, defaultValue = "2048", description = "RSA key size in bits (default: ${DEFAULT-VALUE})")
        int size;

        @Override
        public void run() {
            Keystore ks = home().keystore();
            Keystore.validateNewName(name);
            if (ks.has(name)) {
                throw new CliException("key '" + name + "' already exists (remove it with: ipns-link key rm " + name + ")");
            }
            PrivKey key;
            switch (type) {
                case rsa:
                    if (size < 2048 || size > 8192) {
                        throw new CliException("RSA key size must be between 2048 and 8192 bits");
                    }
                    key = RsaPrivKey.generate(size);
                    break;
                case secp256k1: key = Secp256k1PrivKey.generate(); break;
                case ecdsa: key = EcdsaPrivKey.generateP256(); break;
                default: key = PrivKey.generateEd25519();
            }
            ks.put(name, key);
            ((KeyCommand) spec.parent().userObject()).print(describe(name, key));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List site keys: name, IPNS name (base36) and peer id (base58).")
    static final class ListKeys extends Base implements Runnable {
        @Override
        public void run() {
            Keystore ks = home().keystore();
            List<Map<String, Object>> all = new ArrayList<>();
            for (String n : ks.list()) {
                all.add(describe(n, ks.get(n)));
            }
            if (json()) {
                root().printJson(all);
            } else {
                all.forEach(m -> out().println(m.get("name") + "  " + m.get("id") + "  " + m.get("base58")));
            }
        }
    }

    @Command(name = "rename", mixinStandardHelpOptions = true, description = "Rename a site key.")
    static final class Rename extends Base implements Runnable {
        @Parameters(index = "0", paramLabel = "OLD")
        String from;
        @Parameters(index = "1", paramLabel = "NEW")
        String to;
        @Option(names = {"-f", "--force"}, description = "overwrite a key named NEW")
        boolean force;

        @Override
        public void run() {
            Keystore ks = home().keystore();
            home().siteKey(from);
            ks.rename(from, to, force);
            ((KeyCommand) spec.parent().userObject()).print(describe(to, ks.get(to)));
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove site keys.")
    static final class Rm extends Base implements Runnable {
        @Parameters(arity = "1..*", paramLabel = "NAME")
        List<String> names;

        @Override
        public void run() {
            Keystore ks = home().keystore();
            for (String n : names) {
                home().siteKey(n);
            }
            List<Map<String, Object>> removed = new ArrayList<>();
            for (String n : names) {
                Map<String, Object> d = describe(n, ks.get(n));
                ks.remove(n);
                removed.add(d);
            }
            if (json()) {
                root().printJson(removed);
            } else {
                removed.forEach(m -> out().println("removed " + m.get("name") + "  " + m.get("id")));
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write a site key to a file in one of Kubo's formats.")
    static final class Export extends Base implements Runnable {
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "output file (default: NAME.key, or NAME.pem)")
        Path output;
        @Option(names = "--format", defaultValue = "libp2p-protobuf-cleartext",
                description = "libp2p-protobuf-cleartext (default) or pem-pkcs8-cleartext")
        String format;

        @Override
        public void run() {
            KeyFiles.Format f = KeyFiles.Format.forName(format);
            PrivKey key = home().siteKey(name);
            Path target = output != null ? output
                    : Path.of(name + (f == KeyFiles.Format.PEM_PKCS8_CLEARTEXT ? ".pem" : ".key"));
            if (Files.exists(target)) {
                throw new CliException("file " + target + " already exists");
            }
            try {
                io.ipnslink.exposer.Home.writePrivate(target, KeyFiles.export(key, f));
            } catch (IOException e) {
                throw new CliException("cannot write " + target + ": " + e.getMessage());
            }
            Map<String, Object> m = describe(name, key);
            m.put("file", target.toString());
            if (json()) {
                root().printJson(m);
            } else {
                out().println("exported " + name + " to " + target);
            }
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import a site key from a file (Kubo formats; detected when --format is not given).")
    static final class Import extends Base implements Runnable {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "FILE")
        Path file;
        @Option(names = "--format", description = "libp2p-protobuf-cleartext or pem-pkcs8-cleartext (default: detect)")
        String format;

        @Override
        public void run() {
            Keystore ks = home().keystore();
            Keystore.validateNewName(name);
            if (ks.has(name)) {
                throw new CliException("key '" + name + "' already exists");
            }
            byte[] content;
            try {
                if (Files.size(file) > MAX_IMPORT_BYTES) {
                    throw new CliException("key file " + file + " is larger than " + MAX_IMPORT_BYTES + " bytes");
                }
                content = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new CliException("cannot read " + file + ": " + e.getMessage());
            }
            PrivKey key = format == null ? KeyFiles.readAny(content) : KeyFiles.read(content, KeyFiles.Format.forName(format));
            ks.put(name, key);
            ((KeyCommand) spec.parent().userObject()).print(describe(name, key));
        }
    }

    /** {@code ipns-link key swarm ...}: keys of libp2p private networks (not site keys: not in the keystore). */
    @Command(name = "swarm", mixinStandardHelpOptions = true,
            description = "libp2p private network keys (swarm.key, /key/swarm/psk/1.0.0/).",
            subcommands = {KeyCommand.SwarmGen.class})
    static final class Swarm extends Base implements Runnable {
        @Override
        public void run() {
            spec.commandLine().usage(out());
        }
    }

    @Command(name = "gen", mixinStandardHelpOptions = true,
            description = {"Generate a private network key: every exposer, gateway, relay and bootstrap peer of the"
                    + " network gets the same file (--swarm-key FILE, gateway key swarm-key, Kubo's swarm.key).",
                    "Prints the key file, or writes it (mode 0600) with --out."})
    static final class SwarmGen extends Base implements Runnable {
        @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "write the key file here (must not exist)")
        Path out;

        @Override
        public void run() {
            io.ipnslink.p2p.security.pnet.SwarmKey key = io.ipnslink.p2p.security.pnet.SwarmKey.generate();
            byte[] text = key.encode();
            if (out == null) {
                if (json()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("swarmKey", new String(text, java.nio.charset.StandardCharsets.US_ASCII));
                    m.put("fingerprint", key.fingerprint());
                    root().printJson(m);
                } else {
                    out().print(new String(text, java.nio.charset.StandardCharsets.US_ASCII));
                    out().flush();
                }
                return;
            }
            if (Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new CliException("file " + out + " already exists");
            }
            try {
                io.ipnslink.exposer.Home.writePrivate(out, text);
            } catch (IOException e) {
                throw new CliException("cannot write " + out + ": " + e.getMessage());
            }
            if (json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("file", out.toString());
                m.put("fingerprint", key.fingerprint());
                root().printJson(m);
            } else {
                out().println("wrote private network key " + key.fingerprint() + " to " + out);
            }
        }
    }
}
