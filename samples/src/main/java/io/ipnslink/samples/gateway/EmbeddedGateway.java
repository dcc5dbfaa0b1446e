package io.ipnslink.samples.gateway;

import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.web.AdminServlet;
import io.ipnslink.filter.web.LandingServlet;
import io.ipnslink.filter.web.StatusServlet;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * The gateway filter in an embedded Tomcat, for people without a container, laid out like the
 * WAR ({@code ipns-link-war}): the filter on {@code /*} (async, REQUEST and ASYNC dispatch), the
 * landing page ({@link LandingServlet}) at the root and the status page ({@link StatusServlet}) at
 * {@value #STATUS_PATH}, metrics and health at {@code /metrics}, {@code /health}, {@code /ready}, and
 * the admin API and page ({@link AdminServlet}) at {@value #ADMIN_PATH}.
 */
public final class EmbeddedGateway implements AutoCloseable {
    /** Where the status page is. */
    public static final String STATUS_PATH = "/status";
    /** Where the admin API and page are ({@code /admin/api/...}, {@code /admin/}). */
    public static final String ADMIN_PATH = "/admin";

    private final Tomcat tomcat;

    private EmbeddedGateway(Tomcat tomcat) {
        this.tomcat = tomcat;
    }

    /**
     * Starts on {@code address:port} (port 0: any free port). {@code params} are the filter's
     * init-params (keys of docs/configuration.md); {@code data-dir} defaults to {@code dataDir}.
     */
    public static EmbeddedGateway start(String address, int port, Path dataDir, Map<String, String> params)
            throws LifecycleException {
        return start(address, port, dataDir, params, Map.of());
    }

    /**
     * As {@link #start(String, int, Path, Map)}, with attributes of Tomcat's HTTP connector (the
     * {@code <Connector>} attributes of server.xml: {@code maxThreads}, {@code acceptCount},
     * {@code maxKeepAliveRequests}...).
     *
     * @throws IllegalArgumentException for an attribute the connector does not have, or a value it
     *         cannot take
     */
    public static EmbeddedGateway start(String address, int port, Path dataDir, Map<String, String> params,
            Map<String, String> connector) throws LifecycleException {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(dataDir.resolve("tomcat").toString());
        tomcat.setHostname(address);
        tomcat.setPort(port);
        tomcat.getConnector().setProperty("address", address);
        tomcat.getConnector().setThrowOnFailure(true);
        connector.forEach((k, v) -> {
            if (!tomcat.getConnector().setProperty(k, v)) {
                throw new IllegalArgumentException("--connector " + k + "=" + v
                        + ": Tomcat's connector has no such attribute or cannot take that value");
            }
        });
        Context ctx = tomcat.addContext("", null);
        // laid out as the WAR's web.xml: landing page at the root (and default servlet), status at /status
        Tomcat.addServlet(ctx, "landing", new LandingServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("", "landing");
        ctx.addServletMappingDecoded("/", "landing");
        Tomcat.addServlet(ctx, "status", new StatusServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded(STATUS_PATH, "status");
        // metrics and health (docs/operations.md), as in the WAR's web.xml
        Tomcat.addServlet(ctx, "metrics", new io.ipnslink.filter.web.MetricsServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/metrics", "metrics");
        Tomcat.addServlet(ctx, "health", new io.ipnslink.filter.web.HealthServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/health", "health");
        Tomcat.addServlet(ctx, "ready", new io.ipnslink.filter.web.ReadyServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/ready", "ready");
        // tenants, sites and domains: the admin API and page (off unless admin-token or admin-client-subjects)
        Tomcat.addServlet(ctx, "admin", new AdminServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded(ADMIN_PATH + "/*", "admin");
        FilterDef def = new FilterDef();
        def.setFilterName("ipns-link");
        def.setFilter(new IpnsLinkFilter());
        def.setAsyncSupported("true");
        Map<String, String> p = new LinkedHashMap<>(params);
        p.putIfAbsent("data-dir", dataDir.toString());
        p.forEach(def::addInitParameter);
        ctx.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("ipns-link");
        map.addURLPattern("/*");
        map.setDispatcher("REQUEST");
        map.setDispatcher("ASYNC");
        ctx.addFilterMap(map);
        tomcat.start();
        EmbeddedGateway gw = new EmbeddedGateway(tomcat);
        if (ctx.getState() != LifecycleState.STARTED) {
            gw.close();
            throw new IllegalStateException("the gateway did not start: check the configuration (see the log above)");
        }
        return gw;
    }

    public int port() {
        return tomcat.getConnector().getLocalPort();
    }

    public URI base() {
        return URI.create("http://127.0.0.1:" + port());
    }

    @Override
    public void close() {
        try {
            tomcat.stop();
            tomcat.destroy();
        } catch (LifecycleException e) {
            // stopping anyway
        }
    }
}
