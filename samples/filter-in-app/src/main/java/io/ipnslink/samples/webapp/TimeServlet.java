package io.ipnslink.samples.webapp;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;

/** {@code /api/time}: {@code {"time":"2026-01-02T03:04:05.678Z","epochMillis":...}} (UTC, not cached). */
public class TimeServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient Clock clock;

    public TimeServlet() {
        this(Clock.systemUTC());
    }

    TimeServlet(Clock clock) {
        this.clock = clock;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        byte[] body = json(clock.instant()).getBytes(StandardCharsets.UTF_8);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** The JSON document for {@code now} (no user input in it: nothing to escape). */
    static String json(Instant now) {
        return "{\"time\":\"" + now + "\",\"epochMillis\":" + now.toEpochMilli() + ",\"zone\":\"UTC\"}";
    }
}
