package io.ipnslink.filter.web;

import io.ipnslink.filter.IpnsLinkFilter;
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
 * The gateway as the WAR lays it out, in embedded Tomcat on loopback: the filter on {@code /*}
 * (async, REQUEST and ASYNC), {@link LandingServlet} at the context root (and as the default
 * servlet, for 404 pages), {@link StatusServlet} at {@code /status}, {@link MetricsServlet}, {@link HealthServlet} and
 * {@link ReadyServlet} at {@code /metrics}, {@code /health}, {@code /ready}, {@link AdminServlet} at
 * {@code /admin/*}.
 */
final class WebGateway implements AutoCloseable {
    static {
        java.util.logging.Logger.getLogger("org.apache").setLevel(java.util.logging.Level.WARNING);
    }

    final Tomcat tomcat;
    final IpnsLinkFilter filter;
    final Context context;

    private WebGateway(Tomcat tomcat, IpnsLinkFilter filter, Context context) {
        this.tomcat = tomcat;
        this.filter = filter;
        this.context = context;
    }

    static WebGateway start(Path dir, String contextPath, Map<String, String> initParams) throws LifecycleException {
        return start(dir, contextPath, initParams, null);
    }

    /**
     * With {@code before} (may be null) mapped in front of the gateway filter on {@code /*}: tests
     * look at what the gateway left on the request (its meter) after the chain returned.
     */
    static WebGateway start(Path dir, String contextPath, Map<String, String> initParams, jakarta.servlet.Filter before)
            throws LifecycleException {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(dir.resolve("tomcat").toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = tomcat.addContext(contextPath, null);
        Tomcat.addServlet(ctx, "landing", new LandingServlet());
        ctx.addServletMappingDecoded("", "landing");
        ctx.addServletMappingDecoded("/", "landing"); // every other path: the filter's, else a 404 page
        Tomcat.addServlet(ctx, "status", new StatusServlet());
        ctx.addServletMappingDecoded("/status", "status");
        // metrics and health, as in the WAR's web.xml
        Tomcat.addServlet(ctx, "metrics", new MetricsServlet());
        ctx.addServletMappingDecoded("/metrics", "metrics");
        Tomcat.addServlet(ctx, "health", new HealthServlet());
        ctx.addServletMappingDecoded("/health", "health");
        Tomcat.addServlet(ctx, "ready", new ReadyServlet());
        ctx.addServletMappingDecoded("/ready", "ready");
        if (before != null) {
            FilterDef b = new FilterDef();
            b.setFilterName("before");
            b.setFilter(before);
            b.setAsyncSupported("true");
            ctx.addFilterDef(b);
            FilterMap bm = new FilterMap();
            bm.setFilterName("before");
            bm.addURLPattern("/*");
            bm.setDispatcher("REQUEST");
            ctx.addFilterMap(bm);
        }
        // the admin API and page
        Tomcat.addServlet(ctx, "admin", new AdminServlet());
        ctx.addServletMappingDecoded("/admin/*", "admin");
        IpnsLinkFilter filter = new IpnsLinkFilter();
        FilterDef def = new FilterDef();
        def.setFilterName("ipns-link");
        def.setFilter(filter);
        def.setAsyncSupported("true");
        Map<String, String> p = new LinkedHashMap<>(initParams);
        p.putIfAbsent("data-dir", dir.resolve("data").toString());
        p.forEach(def::addInitParameter);
        ctx.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("ipns-link");
        map.addURLPattern("/*");
        map.setDispatcher("REQUEST");
        map.setDispatcher("ASYNC");
        ctx.addFilterMap(map);
        tomcat.start();
        WebGateway gw = new WebGateway(tomcat, filter, ctx);
        if (ctx.getState() != LifecycleState.STARTED) {
            gw.close();
            throw new IllegalStateException("the web app did not start");
        }
        return gw;
    }

    int port() {
        return tomcat.getConnector().getLocalPort();
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }
}
