package io.ipnslink.natit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a visitor checks through a gateway (each an agent command run in the visitor's namespace):
 * a GET, a POST echoed back, a download, server-sent events. Shared by the scenarios.
 */
final class Visits {
    static final long POST_BYTES = 20L << 20;
    static final long DOWNLOAD_BYTES = 100L << 20;
    static final Duration REQUEST = Duration.ofSeconds(20);
    static final Duration TRANSFER = Duration.ofSeconds(60);
    private static final AtomicInteger STREAMS = new AtomicInteger();

    private Visits() {}

    /** A GET reaches the origin (method, path and query as sent) and its answer comes back. */
    static void get(AgentClient visitor, Deployables.Gateway gw, String name) throws Exception {
        String[] r = visitor.call(REQUEST, "get", gw.site(name, "/hello?from=visitor"), ms(REQUEST));
        assertEquals("200", r[0], () -> "GET through " + gw.http() + ": " + String.join(" ", r));
        assertTrue(r[1].startsWith("hello from the origin method=GET path=/hello?from=visitor"), r[1]);
    }

    /** A 20 MiB POST arrives whole at the origin (its SHA-256) and comes back whole (the visitor's). */
    static void postEcho(AgentClient visitor, Deployables.Gateway gw, String name) throws Exception {
        String[] r = visitor.call(TRANSFER, "echo", gw.site(name, "/echo"), Long.toString(POST_BYTES), "7", ms(TRANSFER));
        assertEquals("200", r[0], () -> "POST through " + gw.http() + ": " + String.join(" ", r));
        assertEquals(Long.toString(POST_BYTES), r[1], "length echoed back");
        assertEquals(r[3], r[4], "SHA-256 of what the origin received");
        assertEquals(r[3], r[2], "SHA-256 of what came back");
    }

    /** A 100 MiB download arrives whole (SHA-256 against the origin's pattern). */
    static void download(AgentClient visitor, Deployables.Gateway gw, String name) throws Exception {
        String[] r = visitor.call(TRANSFER, "download", gw.site(name, "/bytes?n=" + DOWNLOAD_BYTES + "&seed=3"),
                Long.toString(DOWNLOAD_BYTES), "3", ms(TRANSFER));
        assertEquals("200", r[0], () -> "download through " + gw.http() + ": " + String.join(" ", r));
        assertEquals(Long.toString(DOWNLOAD_BYTES), r[1], "length downloaded");
        assertEquals(r[3], r[2], "SHA-256 of the download");
    }

    /**
     * Server-sent events one by one: the origin sends event k+1 only after the visitor, having
     * read event k, asked for it (through the gateway too), so nothing on the way may hold events
     * back until the end.
     */
    static void serverSentEvents(AgentClient visitor, Deployables.Gateway gw, String name) throws Exception {
        String id = "s" + STREAMS.incrementAndGet();
        int n = 5;
        String[] r = visitor.call(REQUEST.multipliedBy(n), "sse", gw.site(name, "/events?id=" + id + "&n=" + n),
                gw.site(name, "/events/next?id=" + id), Integer.toString(n), ms(REQUEST));
        assertEquals("200", r[0], () -> "events through " + gw.http() + ": " + String.join(" ", r));
        assertEquals("event 1|event 2|event 3|event 4|event 5", r[1]);
    }

    static String ms(Duration d) {
        return Long.toString(d.toMillis());
    }
}
