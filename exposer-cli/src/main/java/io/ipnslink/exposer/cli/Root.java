package io.ipnslink.exposer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ipnslink.exposer.Home;
import java.io.UncheckedIOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code ipns-link}: global options, shared by every sub-command. */
@Command(name = "ipns-link", mixinStandardHelpOptions = true, version = "ipns-link 0.1.0",
        description = "Expose an HTTP server under an IPNS name through IPNS-Link gateways.",
        subcommands = {KeyCommand.class, ExposeCommand.class, PublishCommand.class, HideCommand.class,
                StatusCommand.class, ResolveCommand.class, RecordCommand.class, P2pCommand.class,
                IpfsCommand.class, StreamCommand.class},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:ok", "1:failure", "2:usage error"})
public final class Root implements Runnable {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    final Main.Env env;

    @Spec
    CommandSpec spec;

    @Option(names = "--home", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "state directory (default: $IPNS_LINK_HOME, else ~/.ipns-link)")
    String home;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "machine-readable output")
    boolean json;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "stack traces on errors")
    boolean verbose;

    Root(Main.Env env) {
        this.env = env;
    }

    Home home() {
        return Home.resolve(home, env.variables());
    }

    void printJson(Object o) {
        try {
            env.out().println(JSON.writeValueAsString(o));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(env.out());
    }
}
