import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.ClusterEvents;
import io.ipnslink.filter.pipeline.ClusterView;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.RequestObserver;
import io.ipnslink.filter.pipeline.SiteGate;
import io.ipnslink.filter.pipeline.SiteRequest;
import io.ipnslink.filter.usage.QuotasAndUsage;
import io.ipnslink.filter.usage.UsageSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.h2.jdbcx.JdbcDataSource;

/**
 * What quotas and usage add to one request, on its own (no container, no chain): nanoseconds per
 * request beyond creating and ending its meter (the baseline, which the gateway does anyway) of
 * the usage observer ({@code RequestObserver.ended}) and of the quota gate with no
 * quota row ({@code SiteGate.check}), on THREADS threads at once, all requests of one site (the
 * worst case for contention: every thread adds to the same counters) and spread over 1,000 sites.
 * The gateway's own cost per request is tens of microseconds (bench/run.sh), so the figure says
 * how far the metering is from the 3 % goal independently of the machine's load; bench/run.sh
 * --metering measures the same through the whole chain.
 *
 * <pre>
 * ./mvnw -q -pl ipns-link-filter -am test-compile  # then, with the filter's test classpath:
 * java -cp "ipns-link-filter/target/classes:$(cat cp.txt)" bench/UsageMeterSpeed.java [SECONDS] [THREADS]
 * </pre>
 */
public class UsageMeterSpeed {
    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:speed;DB_CLOSE_DELAY=-1");
        ds.setUser("sa");
        try (QuotasAndUsage q = QuotasAndUsage.start(UsageSettings.defaults(), ds, "speed", ClusterEvents.local(),
                ClusterView.SINGLE, Clock.systemUTC())) {
            RequestObserver observer = q.observer().orElseThrow();
            SiteGate gate = q.gate();
            List<IpnsName> sites = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                sites.add(IpnsName.of(Ed25519PrivKey.generate().peerId()));
            }
            for (int round = 0; round < 2; round++) { // the first round warms the JIT up
                String label = round == 0 ? "warm-up" : "measured";
                double base = run(threads, seconds, sites.subList(0, 1), null, null);
                report(label + ", a meter alone (baseline)", base);
                report(label + ", + observer, one site", run(threads, seconds, sites.subList(0, 1), observer, null) - base);
                report(label + ", + observer, 1,000 sites", run(threads, seconds, sites, observer, null) - base);
                report(label + ", + gate (no quota)", run(threads, seconds, sites.subList(0, 1), null, gate) - base);
            }
        }
    }

    static void report(String what, double nanos) {
        System.out.printf("%-40s %8.1f ns per request%n", what, nanos);
    }

    /**
     * CPU nanoseconds per request (the threads' CPU time, not the wall time: other processes on the
     * machine do not count); neither observer nor gate: the baseline.
     */
    static double run(int threads, double seconds, List<IpnsName> sites, RequestObserver observer, SiteGate gate)
            throws InterruptedException {
        long[] counts = new long[threads];
        long[] cpu = new long[threads];
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        CountDownLatch go = new CountDownLatch(1);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long n = 0;
                int i = me;
                long cpu0 = mx.getCurrentThreadCpuTime();
                while ((n & 1023) != 0 || System.nanoTime() < end) {
                    IpnsName site = sites.get(i++ % sites.size());
                    RequestMeter m = new RequestMeter("r", RequestMeter.Kind.SITE, 1);
                    m.site(site);
                    if (gate != null) {
                        RefusedException r = gate.check(new SiteRequest(site, null, "/", "h", "192.0.2.1", "r"), m);
                        if (r != null) {
                            throw new AssertionError(r);
                        }
                    }
                    m.dialStart(2);
                    m.addBytesOut(1024);
                    m.end(200, 2 + 1_000_000);
                    if (observer != null) {
                        observer.ended(m);
                    }
                    n++;
                }
                counts[me] = n;
                cpu[me] = mx.getCurrentThreadCpuTime() - cpu0;
            });
            th.start();
            all.add(th);
        }
        go.countDown();
        for (Thread th : all) {
            th.join();
        }
        long total = 0;
        long cpuTotal = 0;
        for (int t = 0; t < threads; t++) {
            total += counts[t];
            cpuTotal += cpu[t];
        }
        return (double) cpuTotal / total;
    }
}
