package io.ipnslink.exposer.cli;

import io.ipnslink.exposer.ExposerException;
import io.ipnslink.exposer.SiteTunnel;
import io.ipnslink.p2p.Host;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * Entry point of the {@code ipns-link} command. Exit codes: 0 ok, 1 failure (one line on stderr,
 * the stack trace only with {@code --verbose}), 2 usage error.
 */
public final class Main {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    /** How long Ctrl-C waits for expose to shut down cleanly. */
    public static final java.time.Duration SHUTDOWN_GRACE = java.time.Duration.ofSeconds(8);

    /** What a command run needs from its surroundings (the real process, or a test). */
    public record Env(Map<String, String> variables, PrintWriter out, PrintWriter err, InputStream in,
            CountDownLatch stop, Function<Host, SiteTunnel> tunnelFactory) {}

    private Main() {}

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        // Ctrl-C / SIGTERM: tell expose to stop, then give it time to close the host and remove its control file
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                finished.await(SHUTDOWN_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "ipns-link-shutdown"));
        int code = run(new Env(System.getenv(), out, err, System.in, stop, Tunnels.DEFAULT), args);
        out.flush();
        err.flush();
        finished.countDown();
        System.exit(code);
    }

    /** Runs one command line in-process and returns its exit code. */
    public static int run(Env env, String... args) {
        Root root = new Root(env);
        CommandLine cl = new CommandLine(root);
        cl.setOut(env.out());
        cl.setErr(env.err());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.registerConverter(java.time.Duration.class, new Durations());
        cl.setParameterExceptionHandler((ex, a) -> {
            env.err().println("ipns-link: " + ex.getMessage());
            CommandLine c = ex.getCommandLine();
            env.err().println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            env.err().println("ipns-link: " + friendly(ex));
            if (root.verbose) {
                ex.printStackTrace(env.err());
            }
            return FAILURE;
        });
        int code = cl.execute(args);
        env.out().flush();
        env.err().flush();
        return code;
    }

    static String friendly(Throwable ex) {
        if (ex instanceof CliException || ex instanceof ExposerException || ex instanceof IllegalArgumentException
                || ex instanceof io.ipnslink.core.keystore.KeystoreException || ex instanceof java.io.IOException) {
            return String.valueOf(ex.getMessage());
        }
        if (ex instanceof java.util.concurrent.CompletionException && ex.getCause() != null) {
            return friendly(ex.getCause());
        }
        if (ex instanceof java.util.concurrent.ExecutionException && ex.getCause() != null) {
            return friendly(ex.getCause());
        }
        if (ex.getClass().getName().startsWith("io.ipnslink.p2p.")) {
            return String.valueOf(ex.getMessage());
        }
        return "internal error: " + ex + " (run with --verbose for details)";
    }
}
