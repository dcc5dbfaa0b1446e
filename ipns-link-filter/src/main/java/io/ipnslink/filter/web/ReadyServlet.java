package io.ipnslink.filter.web;

import io.ipnslink.filter.metrics.GatewayMetrics;
import io.ipnslink.filter.metrics.Readiness;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * Readiness ({@code /ready} in the WAR): {@code 200} when the record store answered a cheap query
 * within {@code ready-timeout} and, in gateway mode, the libp2p host runs and listens; else
 * {@code 503} with the reason. Plain text ({@code ready} / {@code not ready: REASON}), or JSON
 * ({@code {"ready":false,"reason":"..."}}) with {@code ?format=json} or an Accept preferring
 * {@code application/json}. The check is cached for a second and runs one at a time
 * ({@link Readiness}), so a load balancer's probes never pile up. Same access rule as
 * {@link MetricsServlet}.
 */
public class ReadyServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!GatewayWeb.metricsAllowed(req, getServletContext())) {
            GatewayWeb.notFound(resp, req);
            return;
        }
        Optional<GatewayMetrics> metrics = GatewayWeb.metrics(getServletContext());
        Readiness.Result r = metrics.isPresent() ? metrics.get().ready()
                : new Readiness.Result(false, "the IPNS-Link gateway filter is not running");
        int status = r.ready() ? 200 : 503;
        resp.setHeader("Vary", "Accept");
        if (StatusServlet.wantsJson(req.getParameter("format"), req.getHeader("Accept"))) {
            GatewayWeb.text(resp, status, StatusServlet.JSON + ";charset=utf-8", r.ready() ? "{\"ready\":true}\n"
                    : "{\"ready\":false,\"reason\":" + jsonString(r.reason()) + "}\n");
        } else {
            GatewayWeb.text(resp, status, "text/plain;charset=utf-8",
                    r.ready() ? "ready\n" : "not ready: " + r.reason() + "\n");
        }
    }

    private static String jsonString(String s) {
        try {
            return JsonMappers.json().writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return "\"\"";
        }
    }
}
