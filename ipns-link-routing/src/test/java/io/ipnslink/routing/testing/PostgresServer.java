package io.ipnslink.routing.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests, started from the distribution's binaries
 * ({@code /usr/lib/postgresql/N/bin}, the Debian/Ubuntu package {@code postgresql}) in a
 * temporary directory, listening on a free loopback port (trust authentication, user
 * {@value #USER}) with its unix socket in that directory, and stopped and deleted when the JVM
 * exits. One server per JVM ({@link #shared()}); each test class takes its own database
 * ({@link #newDatabase(String)}).
 *
 * <p>initdb refuses to run as root: as root, the directory is given to the {@code postgres} user
 * and the binaries run through {@code runuser -u postgres --}. Without the binaries the fixture
 * fails (never skips): install {@code postgresql}; {@code .ci/run} does.
 */
public final class PostgresServer {
    /** The superuser the tests connect as. */
    public static final String USER = "postgres";
    private static final long START_TIMEOUT_SECONDS = 60;
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static PostgresServer shared;

    private final Path bin;
    private final Path dir;
    private final int port;
    private final boolean asPostgresUser;

    private PostgresServer(Path bin, Path dir, int port, boolean asPostgresUser) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    /** The server of this JVM, started on first use. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            shared = start();
            PostgresServer s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "postgres-test-server-stop"));
        }
        return shared;
    }

    /** The directory holding {@code initdb}, {@code pg_ctl} and {@code postgres}, newest version first. */
    public static Optional<Path> binaries() {
        String configured = System.getenv("IPNS_LINK_PG_BIN");
        if (configured != null && Files.isExecutable(Path.of(configured, "initdb"))) {
            return Optional.of(Path.of(configured));
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(PostgresServer::majorVersion));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static PostgresServer start() {
        Path bin = binaries().orElseThrow(() -> new IllegalStateException(
                "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (initdb, pg_ctl): "
                        + "install postgresql (apt-get install postgresql); .ci/run does"));
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            Path dir = Files.createTempDirectory("ipns-link-pg");
            if (root) {
                run(List.of("chown", "-R", USER + ":", dir.toString()), false, dir);
            }
            PostgresServer s = null;
            IllegalStateException last = null;
            for (int attempt = 0; attempt < 3 && s == null; attempt++) {
                PostgresServer candidate = new PostgresServer(bin, dir, freePort(), root);
                try {
                    candidate.initAndStart(attempt == 0);
                    s = candidate;
                } catch (IllegalStateException e) {
                    last = e; // most likely the port was taken in between: try another one
                }
            }
            if (s == null) {
                throw last;
            }
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the test PostgreSQL server", e);
        }
    }

    private void initAndStart(boolean init) throws IOException {
        Path data = dir.resolve("data");
        if (init) {
            run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--auth=trust",
                    "--encoding=UTF8", "--no-locale", "--no-sync"), asPostgresUser, dir);
        }
        String options = "-p " + port + " -h 127.0.0.1 -k " + dir + " -c fsync=off -c max_connections=200";
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(),
                "-w", "-t", Long.toString(START_TIMEOUT_SECONDS), "-o", options, "start"), asPostgresUser, dir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void run(List<String> command, boolean asPostgres, Path dir) {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", USER, "--"));
        }
        full.addAll(command);
        try {
            Path out = Files.createTempFile("ipns-link-pg-cmd", ".log");
            try {
                Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).start();
                if (!p.waitFor(START_TIMEOUT_SECONDS + 30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", full) + " did not finish in time");
                }
                if (p.exitValue() != 0) {
                    String log = Files.readString(out, StandardCharsets.UTF_8);
                    Path serverLog = dir.resolve("server.log");
                    if (Files.isReadable(serverLog)) {
                        log += "\nserver.log:\n" + Files.readString(serverLog, StandardCharsets.UTF_8);
                    }
                    throw new IllegalStateException(String.join(" ", full) + " failed (" + p.exitValue() + "): " + log);
                }
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The server's port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** JDBC URL of database {@code database}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates a new empty database whose name starts with {@code prefix} (letters, digits, _) and returns its name. */
    public String newDatabase(String prefix) {
        String name = (prefix.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_") + "_"
                + DATABASES.incrementAndGet() + "_" + ProcessHandle.current().pid());
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
        return name;
    }

    /** A new connection to {@code database} as {@value #USER}. */
    public Connection connect(String database) throws SQLException {
        // the driver of this class loader, not DriverManager: which drivers DriverManager lists depends
        // on the class loader that first asked it (a web application deployed in the same JVM may have
        // registered its own copy, and deregistered it at undeploy)
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", USER);
        p.setProperty("password", "");
        Connection c = new org.postgresql.Driver().connect(jdbcUrl(database), p);
        if (c == null) {
            throw new SQLException("not a PostgreSQL URL: " + jdbcUrl(database));
        }
        return c;
    }

    /** Stops the server at once and deletes its directory. */
    public synchronized void stop() {
        try {
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate",
                    "-w", "-t", "10", "stop"), asPostgresUser, dir);
        } catch (RuntimeException e) {
            System.err.println("stopping the test PostgreSQL server failed: " + e.getMessage());
        }
        for (int attempt = 0; attempt < 3 && Files.exists(dir); attempt++) {
            // files the server's last processes wrote while the first walk ran go in the next one
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | java.io.UncheckedIOException e) {
                System.err.println("deleting " + dir + " failed: " + e.getMessage());
            }
        }
    }
}
