package io.ipnslink.exposer.cli;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.core.ipns.IpnsValidator;
import io.ipnslink.exposer.Home;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipns-link record verify|create|inspect}. */
@Command(name = "record", mixinStandardHelpOptions = true, description = "Verify, create and inspect raw IPNS records.",
        subcommands = {RecordCommand.Verify.class, RecordCommand.Create.class, RecordCommand.Inspect.class})
final class RecordCommand extends Base implements Runnable {
    @Override
    public void run() {
        spec.commandLine().usage(out());
    }

    /** Reads a record file or stdin ({@code -}), at most one byte above the record limit. */
    static byte[] read(Base cmd, String file) {
        try {
            if (file.equals("-")) {
                InputStream in = cmd.root().env.in();
                return in.readNBytes(IpnsRecord.MAX_RECORD_BYTES + 1);
            }
            Path p = Path.of(file);
            if (Files.size(p) > IpnsRecord.MAX_RECORD_BYTES + 1) {
                return new byte[IpnsRecord.MAX_RECORD_BYTES + 1];
            }
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage());
        }
    }

    static void show(Base cmd, Map<String, Object> m) {
        if (cmd.json()) {
            cmd.root().printJson(m);
        } else {
            Views.print(cmd.out(), m, "");
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Verify a record against a name: signature, size, validity. Exit 1 with the reason when invalid.")
    static final class Verify extends Base implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "the IPNS name (k51..., 12D3..., /ipns/...)")
        String name;
        @Parameters(paramLabel = "FILE", description = "raw record file, or - for stdin")
        String file;

        @Override
        public Integer call() {
            IpnsName n;
            try {
                n = IpnsName.parse(name);
            } catch (IllegalArgumentException e) {
                throw new CliException("--name '" + name + "' is not an IPNS name: " + e.getMessage());
            }
            byte[] raw = read(this, file);
            try {
                IpnsRecord r = IpnsValidator.validate(n, raw);
                Map<String, Object> m = Views.record(r, true, null);
                m.put("name", n.toString());
                show(this, m);
                return Main.OK;
            } catch (IpnsRecordException e) {
                if (json()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("valid", false);
                    m.put("reason", e.getMessage());
                    root().printJson(m);
                }
                err().println("ipns-link: invalid record: " + e.getMessage());
                return Main.FAILURE;
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create and sign a raw record with a site key.")
    static final class Create extends Base implements Runnable {
        @Option(names = "--key", required = true, paramLabel = "NAME", description = "site key name")
        String key;
        @Option(names = "--value", required = true, paramLabel = "PATH", description = "content path, e.g. /ipfs/bafy...")
        String value;
        @Option(names = "--sequence", defaultValue = "0", paramLabel = "N", description = "sequence number (default 0)")
        String sequence;
        @Option(names = "--lifetime", defaultValue = "24h", paramLabel = "DURATION", description = "validity from now (default 24h)")
        Duration lifetime;
        @Option(names = "--ttl", defaultValue = "1m", paramLabel = "DURATION", description = "TTL (default 1m)")
        Duration ttl;
        @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "where to write the raw record (- for stdout)")
        String output;

        @Override
        public void run() {
            long seq;
            try {
                seq = Long.parseUnsignedLong(sequence);
            } catch (NumberFormatException e) {
                throw new CliException("--sequence '" + sequence + "' is not an unsigned 64-bit integer");
            }
            PrivKey k = home().siteKey(key);
            IpnsRecord r = IpnsRecord.builder(k).value(value).sequence(seq).lifetime(lifetime).ttl(ttl).build();
            try {
                if (output.equals("-")) {
                    root().env.out().flush();
                    System.out.write(r.raw());
                    System.out.flush();
                    return;
                }
                Home.writePrivate(Path.of(output), r.raw());
            } catch (IOException e) {
                throw new CliException("cannot write " + output + ": " + e.getMessage());
            }
            Map<String, Object> m = Views.record(r, null, null);
            m.put("name", IpnsName.of(k.peerId()).toString());
            m.put("file", output);
            show(this, m);
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Show a record's fields without checking the signature against a name.")
    static final class Inspect extends Base implements Runnable {
        @Parameters(paramLabel = "FILE", description = "raw record file, or - for stdin")
        String file;

        @Override
        public void run() {
            IpnsRecord r = IpnsRecord.parse(read(this, file));
            Map<String, Object> m = Views.record(r, null, null);
            r.embeddedPublicKey().ifPresent(k -> m.put("embeddedKeyName", IpnsName.of(k.peerId()).toString()));
            show(this, m);
        }
    }
}
