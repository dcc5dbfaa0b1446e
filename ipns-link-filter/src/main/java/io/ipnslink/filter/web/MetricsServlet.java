package io.ipnslink.filter.web;

import io.ipnslink.filter.metrics.GatewayMetrics;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;

/**
 * The gateway's metrics for Prometheus ({@code /metrics} in the WAR): the text format 0.0.4, or
 * OpenMetrics 1.0 when the Accept header names {@code application/openmetrics-text} (as Prometheus
 * asks). The metrics are listed in docs/operations.md.
 *
 * <p>Who may read it is the filter's {@code metrics} key (unset: as {@code status}): {@code off},
 * {@code local} (loopback only, the default) or {@code public}; everyone else gets 404. Without a
 * running {@code IpnsLinkFilter} in the web app it answers 503.
 */
public class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!GatewayWeb.metricsAllowed(req, getServletContext())) {
            GatewayWeb.notFound(resp, req);
            return;
        }
        Optional<GatewayMetrics> metrics = GatewayWeb.metrics(getServletContext());
        if (metrics.isEmpty() || !metrics.get().running()) {
            GatewayWeb.text(resp, 503, "text/plain;charset=utf-8", "the IPNS-Link gateway filter is not running\n");
            return;
        }
        boolean open = wantsOpenMetrics(req.getHeader("Accept"));
        resp.setHeader("Vary", "Accept");
        GatewayWeb.text(resp, 200, open ? GatewayMetrics.OPENMETRICS : GatewayMetrics.TEXT,
                metrics.get().scrape(open));
    }

    /** OpenMetrics when the Accept header names it (Prometheus does), else the text format 0.0.4. */
    static boolean wantsOpenMetrics(String accept) {
        return accept != null && accept.toLowerCase(Locale.ROOT).contains("application/openmetrics-text");
    }
}
