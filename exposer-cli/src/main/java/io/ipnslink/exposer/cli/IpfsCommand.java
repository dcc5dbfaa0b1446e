package io.ipnslink.exposer.cli;

import io.ipnslink.core.ipfs.FsBlockStore;
import io.ipnslink.core.ipfs.IpfsFormatException;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.core.unixfs.ImportResult;
import io.ipnslink.core.unixfs.UnixFsDag;
import io.ipnslink.core.unixfs.UnixFsImporter;
import io.ipnslink.core.unixfs.UnixFsProfile;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipns-link ipfs add|export}: files into the home's block store as UnixFS, DAGs out as CAR. */
@Command(name = "ipfs", mixinStandardHelpOptions = true,
        description = "Content addressed files: import into the block store (<home>/blocks), export as CAR.",
        subcommands = {IpfsCommand.Add.class, IpfsCommand.Export.class})
final class IpfsCommand extends Base implements Runnable {
    /** Bytes the home's block store may hold. */
    static final long MAX_STORE_BYTES = 256L * 1024 * 1024 * 1024;

    @Override
    public void run() {
        spec.commandLine().usage(out());
    }

    static FsBlockStore store(Base cmd) throws IOException {
        return FsBlockStore.open(cmd.home().blocksDir(), MAX_STORE_BYTES, true);
    }

    /** {@code --profile NAME} to {@link UnixFsProfile}; an unknown name is a usage error listing the known ones. */
    static final class ProfileConverter implements CommandLine.ITypeConverter<UnixFsProfile> {
        @Override
        public UnixFsProfile convert(String value) {
            try {
                return UnixFsProfile.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Import a file or directory as UnixFS into the block store and print its CID.")
    static final class Add extends Base implements Runnable {
        @Parameters(paramLabel = "PATH", description = "file or directory (symbolic links inside are stored, not followed)")
        String path;

        @Option(names = "--profile", paramLabel = "PROFILE", converter = ProfileConverter.class,
                defaultValue = "unixfs-v1-2025",
                description = "IPIP-499 CID profile: unixfs-v1-2025 (CIDv1, raw leaves, 1 MiB chunks; default) or"
                        + " unixfs-v0-2015 (Kubo's classic CIDv0)")
        UnixFsProfile profile;

        @Override
        public void run() {
            Path p = Path.of(path);
            if (!Files.exists(p)) {
                throw new CliException("no such file or directory: " + path);
            }
            ImportResult r;
            try {
                r = new UnixFsImporter(store(this), ImportOptions.of(profile)).importPath(p);
            } catch (IOException | IpfsFormatException e) {
                throw new CliException(e.getMessage());
            }
            if (json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("root", r.root().toString());
                m.put("size", r.size());
                m.put("bytes", r.contentBytes());
                m.put("profile", r.profile().id());
                List<Map<String, Object>> entries = new ArrayList<>();
                for (ImportResult.Entry e : r.entries()) {
                    Map<String, Object> em = new LinkedHashMap<>();
                    em.put("path", e.path());
                    em.put("type", e.kind().id());
                    em.put("cid", e.cid().toString());
                    em.put("size", e.size());
                    entries.add(em);
                }
                m.put("entries", entries);
                root().printJson(m);
                return;
            }
            for (ImportResult.Entry e : r.entries()) {
                out().println("added " + e.cid() + " " + e.path());
            }
            out().println("added " + r.root() + " " + p.getFileName() + " (" + r.profile().id() + ", "
                    + r.contentBytes() + " bytes)");
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write the DAG under CID from the block store as a CAR v1 file.")
    static final class Export extends Base implements Runnable {
        @Parameters(paramLabel = "CID", description = "root of the DAG")
        String cid;

        @Option(names = "--out", paramLabel = "FILE", description = "where to write (default: CID.car here)")
        Path outFile;

        @Override
        public void run() {
            Cid root;
            try {
                root = Cid.parse(cid);
            } catch (IllegalArgumentException e) {
                throw new CliException("'" + cid + "' is not a CID: " + e.getMessage());
            }
            Path target = outFile != null ? outFile : Path.of(root + ".car");
            Path tmp = target.toAbsolutePath().resolveSibling(target.getFileName() + ".part");
            long blocks;
            try {
                FsBlockStore store = store(this);
                if (!store.has(root)) {
                    throw new CliException("block " + root + " is not in the block store " + store.dir()
                            + " (import it with: ipns-link ipfs add PATH)");
                }
                try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                    blocks = UnixFsDag.exportCar(root, store, o);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | IpfsFormatException e) {
                deleteQuietly(tmp);
                throw new CliException("cannot export " + root + ": " + e.getMessage());
            } catch (RuntimeException e) {
                deleteQuietly(tmp);
                throw e;
            }
            if (json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("root", root.toString());
                m.put("file", target.toString());
                m.put("blocks", blocks);
                root().printJson(m);
            } else {
                out().println("exported " + root + " (" + blocks + " blocks) to " + target);
            }
        }

        private static void deleteQuietly(Path p) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // nothing to report beyond the export's own error
            }
        }
    }
}
