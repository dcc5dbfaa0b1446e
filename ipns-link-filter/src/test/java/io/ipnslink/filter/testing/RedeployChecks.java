package io.ipnslink.filter.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The checks of the redeploy tests (the gateway WAR undeployed and deployed again, 20 times, in
 * stock Tomcat, Jetty 12 and WildFly): the container JVM's memory after a full GC (Metaspace used,
 * heap used, loaded classes), its threads, a straight-line fit over the rounds, and light traffic
 * while it happens. Works on any {@link MBeanServerConnection}: the test JVM's own (Jetty, in
 * process) or a container process's, reached through the Attach API ({@link #attach}).
 */
public final class RedeployChecks {
    /** Rounds of undeploy + deploy. */
    public static final int ROUNDS = 20;
    /** The first round of the straight-line fit: rounds before it warm the container up. */
    public static final int FIT_FROM = 5;
    /** How long the light traffic runs at most (the tests take about 2 minutes on a quiet machine). */
    public static final Duration TRAFFIC = Duration.ofMinutes(12);
    /** Longest wait for one event (deployed, undeployed, threads gone). */
    public static final Duration WAIT = Duration.ofSeconds(60);

    /**
     * Threads of the gateway and its libraries, by name (digits left out): none may be left once
     * the WAR is undeployed.
     */
    public static final Pattern OUR_THREADS = Pattern.compile(String.join("|",
            "p2p-", "ipns-", "routing-client", "name-resolver", "nioEventLoopGroup", "epollEventLoopGroup",
            "globalEventExecutor", "ObjectCleanerThread", "FastThreadLocal", "H2 ", "MVStore", "dnsjava",
            "HttpClient-", "Caffeine", "ipnslink", "gateway-", "origin-", "relay-", "autonat", "dcutr",
            "yamux", "sweeper", "netty"), Pattern.CASE_INSENSITIVE);

    private RedeployChecks() {}

    /** The memory of the container JVM after a full GC, at the end of one round. */
    public record Sample(int round, long metaspaceUsed, long heapUsed, long loadedClasses) {}

    /** A JMX connection to a JVM on this machine through the Attach API (its local management agent). */
    public static JMXConnector attach(long pid) throws Exception {
        // com.sun.tools.attach by reflection: the module is in every JDK, but not every compiler
        // configuration sees it
        Class<?> vmClass = Class.forName("com.sun.tools.attach.VirtualMachine");
        Object vm = vmClass.getMethod("attach", String.class).invoke(null, Long.toString(pid));
        try {
            String url = (String) vmClass.getMethod("startLocalManagementAgent").invoke(vm);
            return JMXConnectorFactory.connect(new JMXServiceURL(url));
        } finally {
            vmClass.getMethod("detach").invoke(vm);
        }
    }

    /** Two full collections (class unloading included), then Metaspace used, heap used, loaded classes. */
    public static Sample sample(MBeanServerConnection jvm, int round) throws IOException {
        MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(jvm, ManagementFactory.MEMORY_MXBEAN_NAME,
                MemoryMXBean.class);
        memory.gc();
        memory.gc();
        long metaspace = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getPlatformMXBeans(jvm, MemoryPoolMXBean.class)) {
            if (pool.getName().equals("Metaspace")) {
                metaspace = pool.getUsage().getUsed();
            }
        }
        ClassLoadingMXBean classes = ManagementFactory.newPlatformMXBeanProxy(jvm,
                ManagementFactory.CLASS_LOADING_MXBEAN_NAME, ClassLoadingMXBean.class);
        return new Sample(round, metaspace, memory.getHeapMemoryUsage().getUsed(), classes.getLoadedClassCount());
    }

    /** The names of the JVM's live threads. */
    public static List<String> threadNames(MBeanServerConnection jvm) throws IOException {
        ThreadMXBean threads = ManagementFactory.newPlatformMXBeanProxy(jvm, ManagementFactory.THREAD_MXBEAN_NAME,
                ThreadMXBean.class);
        List<String> names = new ArrayList<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                names.add(info.getThreadName());
            }
        }
        return names;
    }

    /** The threads of {@code jvm} that are ours ({@link #OUR_THREADS}). */
    public static Set<String> ourThreads(MBeanServerConnection jvm) throws IOException {
        Set<String> ours = new TreeSet<>();
        for (String name : threadNames(jvm)) {
            if (OUR_THREADS.matcher(name).find()) {
                ours.add(name);
            }
        }
        return ours;
    }

    /** Waits until none of our threads is left in {@code jvm}; fails naming them. */
    public static void awaitNoThreadsOfOurs(MBeanServerConnection jvm, String when) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Set<String> left = ourThreads(jvm);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            left = ourThreads(jvm);
        }
        assertTrue(left.isEmpty(), "threads of the gateway still running " + when + ": " + left);
    }

    /** Waits for {@code condition} (checked every 50 ms) up to {@link #WAIT}; fails with {@code what}. */
    public static void await(BooleanSupplier condition, String what) throws InterruptedException {
        await(condition, () -> what);
    }

    /** Waits for {@code condition} (checked every 50 ms) up to {@link #WAIT}; fails with {@code what}, asked then. */
    public static void await(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what.get());
            }
            Thread.sleep(50);
        }
    }

    private static final HttpClient CHECKS = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /**
     * Asks {@code url} until it answers 200 (a first dial to the exposer may time out on a loaded
     * machine: the gateway then answers its coming-soon page for a moment), up to {@link #WAIT}.
     */
    public static void awaitOk(URI url) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            HttpResponse<String> r = CHECKS.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("GET " + url + ": " + r.statusCode() + " " + r.body());
            }
            Thread.sleep(500);
        }
    }

    /** Least-squares slope of {@code value} over the samples' rounds (units per round). */
    public static double slope(List<Sample> samples, ToLongFunction<Sample> value) {
        int n = samples.size();
        double mx = samples.stream().mapToDouble(Sample::round).average().orElse(0);
        double my = samples.stream().mapToDouble(value::applyAsLong).average().orElse(0);
        double num = 0;
        double den = 0;
        for (Sample s : samples) {
            num += (s.round() - mx) * (value.applyAsLong(s) - my);
            den += (s.round() - mx) * (s.round() - mx);
        }
        return n < 2 || den == 0 ? 0 : num / den;
    }

    /**
     * What one deployed WAR adds to the container ({@code deployed - before}, both after a full GC)
     * and the samples after each undeploy: Metaspace, loaded classes and heap must be flat from
     * round {@link #FIT_FROM} on, that is, the slope of a straight-line fit below a quarter of what
     * one deployed WAR adds (a class loader kept per round would add all of it each round). Heap
     * gets at least 1 MiB per round of tolerance (GC noise of an idle container). Returns the report
     * line for the log and the docs.
     */
    public static String assertFlat(Sample before, Sample deployed, List<Sample> afterUndeploy) {
        List<Sample> fit = afterUndeploy.stream().filter(s -> s.round() >= FIT_FROM).toList();
        long warMetaspace = deployed.metaspaceUsed() - before.metaspaceUsed();
        long warClasses = deployed.loadedClasses() - before.loadedClasses();
        long warHeap = deployed.heapUsed() - before.heapUsed();
        double metaspaceSlope = slope(fit, Sample::metaspaceUsed);
        double classSlope = slope(fit, Sample::loadedClasses);
        double heapSlope = slope(fit, Sample::heapUsed);
        String report = String.format(Locale.ROOT, "one deployed WAR: %.1f MiB Metaspace, %d classes, %.1f MiB heap;"
                + " rounds %d-%d after undeploy: Metaspace %+.1f KiB/round, classes %+.1f/round, heap %+.1f KiB/round"
                + " (Metaspace %.1f-%.1f MiB, heap %.1f-%.1f MiB after undeploy in those rounds)",
                mib(warMetaspace), warClasses, mib(warHeap), fit.get(0).round(), fit.get(fit.size() - 1).round(),
                metaspaceSlope / 1024, classSlope, heapSlope / 1024,
                mib(fit.stream().mapToLong(Sample::metaspaceUsed).min().orElse(0)),
                mib(fit.stream().mapToLong(Sample::metaspaceUsed).max().orElse(0)),
                mib(fit.stream().mapToLong(Sample::heapUsed).min().orElse(0)),
                mib(fit.stream().mapToLong(Sample::heapUsed).max().orElse(0)));
        String all = report + "\nsamples: " + afterUndeploy;
        assertTrue(warMetaspace > 1 << 20 && warClasses > 500,
                "one deployed WAR should load its classes (else the check cannot fail): " + all);
        assertTrue(metaspaceSlope < warMetaspace / 4.0, "Metaspace grows with redeploys: " + all);
        assertTrue(classSlope < warClasses / 4.0, "loaded classes grow with redeploys: " + all);
        assertTrue(heapSlope < Math.max(warHeap / 4.0, 1 << 20), "heap grows with redeploys: " + all);
        return report;
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    /** Whether an MBean matching {@code pattern} is registered. */
    public static boolean registered(MBeanServerConnection jvm, String pattern) {
        try {
            return !jvm.queryNames(new ObjectName(pattern), null).isEmpty();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Light traffic: one thread asking the given URLs one after the other, a few times a second,
     * whatever the answers (the WAR comes and goes); counts the 200s. Stops on {@link #close()} or
     * after {@code maxDuration}.
     */
    public static final class Traffic implements AutoCloseable {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        private final List<URI> urls;
        private final Thread thread;
        private final AtomicLong ok = new AtomicLong();
        private final AtomicInteger requests = new AtomicInteger();
        private final AtomicInteger timeouts = new AtomicInteger();
        private volatile boolean stop;

        public Traffic(Duration maxDuration, URI... urls) {
            this.urls = List.copyOf(Arrays.asList(urls));
            long end = System.nanoTime() + maxDuration.toNanos();
            this.thread = new Thread(() -> run(end), "redeploy-traffic");
            thread.setDaemon(true);
            thread.start();
        }

        private void run(long end) {
            while (!stop && System.nanoTime() < end) {
                for (URI url : urls) {
                    // the whole exchange bounded, body included (a request cut by an undeploy may never end)
                    java.util.concurrent.CompletableFuture<HttpResponse<Void>> f = http.sendAsync(
                            HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.discarding());
                    try {
                        HttpResponse<Void> r = f.get(10, TimeUnit.SECONDS);
                        requests.incrementAndGet();
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                        }
                        Thread.sleep(25);
                    } catch (InterruptedException e) {
                        f.cancel(true);
                        return;
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                        f.cancel(true);
                        requests.incrementAndGet(); // the container between two deployments
                        if (e instanceof java.util.concurrent.TimeoutException) {
                            timeouts.incrementAndGet();
                        }
                    }
                }
            }
        }

        /** Answers 200 so far. */
        public long ok() {
            return ok.get();
        }

        /** Requests whose answer did not end within 10 s. */
        public int timeouts() {
            return timeouts.get();
        }

        /** Requests sent so far. */
        public int requests() {
            return requests.get();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.interrupt();
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
    }
}
