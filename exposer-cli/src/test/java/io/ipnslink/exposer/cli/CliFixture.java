package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.exposer.FakeTunnel;
import io.ipnslink.exposer.SiteTunnel;
import io.ipnslink.exposer.TestRouter;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.client.RoutingV1Client;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the CLI tests share, as a JUnit 5 extension registered on a static field
 * ({@code @RegisterExtension static final CliFixture fx = new CliFixture();}): a routing v1 endpoint
 * (a {@link TestRouter} on loopback) and its client for the whole class; for each test a temp
 * directory ({@link #dir}), a home in it ({@code dir/home}) with the key {@code blog}
 * ({@link #blog}), a {@link FakeTunnel} (or the tunnels a constructor argument makes) and a
 * {@link CliRunner} over both; {@link #host} is the last host a tunnel was made for. Commands
 * started in the background ({@link #start}, {@link #startExpose}) are stopped after the test,
 * newest first, before the temp directory is deleted. One test at a time per class (the fields
 * are the current test's).
 */
final class CliFixture implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    /** How long a test waits for a command to start, stop or publish. */
    static final long WAIT_S = 30;

    private Path routerDir;
    TestRouter router;
    RoutingV1Client client;

    /** This test's temp directory (the home is {@code dir/home}). */
    Path dir;
    CliRunner cli;
    FakeTunnel tunnel;
    /** The name of the key {@code blog} made in the home before the test. */
    IpnsName blog;
    /** The host the last tunnel was made for (the running expose's libp2p host). */
    final AtomicReference<Host> host = new AtomicReference<>();
    private final List<Running> running = new ArrayList<>();
    private final Function<Host, SiteTunnel> tunnels;

    /** Each test's commands get the test's {@link #tunnel}. */
    CliFixture() {
        this(null);
    }

    /** Each test's commands get tunnels from {@code tunnels} ({@link #tunnel} stays null). */
    CliFixture(Function<Host, SiteTunnel> tunnels) {
        this.tunnels = tunnels;
    }

    /** A command running in a thread of its own until {@link #stop}. */
    record Running(CountDownLatch stopLatch, CompletableFuture<CliRunner.Run> result) {
        /** Asks the command to stop and returns how it ended. */
        CliRunner.Run stop() throws Exception {
            stopLatch.countDown();
            return result.get(WAIT_S, TimeUnit.SECONDS);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        routerDir = Files.createTempDirectory("ipns-link-cli-router");
        router = new TestRouter(routerDir);
        client = new RoutingV1Client();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            client.close();
            router.close();
        } finally {
            deleteTree(routerDir);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("ipns-link-cli");
        host.set(null);
        tunnel = tunnels == null ? new FakeTunnel() : null;
        FakeTunnel t = tunnel;
        cli = new CliRunner(dir.resolve("home"), h -> {
            host.set(h);
            return t != null ? t : tunnels.apply(h);
        });
        CliRunner.Run key = cli.run("key", "gen", "blog", "--json");
        assertTrue(key.code() == 0, () -> "key gen blog: " + key.err());
        blog = IpnsName.parse(key.json().path("id").asText());
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            for (int i = running.size() - 1; i >= 0; i--) {
                Running r = running.get(i);
                r.stopLatch().countDown();
                try {
                    r.result().get(WAIT_S, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // the test itself reports how its command ended
                }
            }
            running.clear();
        } finally {
            deleteTree(dir);
        }
    }

    /** Runs {@code args} (with {@code --home}) in a thread of its own; stopped after the test at the latest. */
    Running start(String... args) {
        CountDownLatch stop = new CountDownLatch(1);
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(cli.run(stop, args));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "cli-" + args[0]);
        t.setDaemon(true);
        t.start();
        Running r = new Running(stop, result);
        running.add(r);
        return r;
    }

    /** As {@link #start}, for an {@code expose}: returns once its control file is there (fails if it ended instead). */
    Running startExpose(String... args) throws InterruptedException {
        Running r = start(args);
        Path control = dir.resolve("home/expose.json");
        await(() -> Files.exists(control) || r.result().isDone(), "expose to start");
        assertTrue(Files.exists(control), () -> "expose did not start: " + r.result().getNow(null));
        return r;
    }

    /**
     * Starts {@code expose blog http://127.0.0.1:9 --publish-to=<router> --listen=/ip4/127.0.0.1/tcp/0}
     * followed by {@code extra}; returns once its control file is there.
     */
    Running startExposeBlog(String... extra) throws InterruptedException {
        return startExpose(exposeBlogArgs(extra));
    }

    /** The arguments of {@link #startExposeBlog}. */
    String[] exposeBlogArgs(String... extra) {
        List<String> args = new ArrayList<>(List.of("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--listen=/ip4/127.0.0.1/tcp/0"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** Waits up to {@link #WAIT_S} for {@code cond}; fails naming {@code what}. */
    static void await(Supplier<Boolean> cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!cond.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /** The record the router holds for {@code name}, empty when none (or the router cannot say). */
    Optional<IpnsRecord> record(IpnsName name) {
        try {
            return client.getIpns(router.uri(), name);
        } catch (RoutingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The record the router holds for {@code name}; fails when there is none. */
    IpnsRecord stored(IpnsName name) throws Exception {
        return client.getIpns(router.uri(), name).orElseThrow();
    }

    /** The manifest in the record the router holds for {@code name}; fails when there is none. */
    Manifest storedManifest(IpnsName name) throws Exception {
        return Manifest.fromRecord(stored(name)).orElseThrow();
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
