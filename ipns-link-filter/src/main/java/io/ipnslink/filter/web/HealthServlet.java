package io.ipnslink.filter.web;

import io.ipnslink.filter.metrics.GatewayMetrics;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * Liveness ({@code /health} in the WAR): {@code 200 ok} while the gateway filter runs in this web
 * app, {@code 503} before it started, when it failed to start and after it was destroyed. It asks
 * nothing of the network or the database: a process that answers is alive ({@code /ready} says
 * whether it can serve). Same access rule as {@link MetricsServlet}.
 */
public class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!GatewayWeb.metricsAllowed(req, getServletContext())) {
            GatewayWeb.notFound(resp, req);
            return;
        }
        Optional<GatewayMetrics> metrics = GatewayWeb.metrics(getServletContext());
        if (metrics.isPresent() && metrics.get().running()) {
            GatewayWeb.text(resp, 200, "text/plain;charset=utf-8", "ok\n");
        } else {
            GatewayWeb.text(resp, 503, "text/plain;charset=utf-8", "not running\n");
        }
    }
}
