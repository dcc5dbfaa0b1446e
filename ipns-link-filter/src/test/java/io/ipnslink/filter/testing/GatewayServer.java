package io.ipnslink.filter.testing;

import io.ipnslink.filter.IpnsLinkFilter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import io.ipnslink.core.manifest.Manifest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
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
 * An embedded Tomcat (loopback, port 0) with {@link IpnsLinkFilter} at {@code /*} (async, REQUEST
 * and ASYNC dispatch) in front of a plain servlet that answers {@code app GET /path?query}, which
 * proves pass-through.
 */
public final class GatewayServer implements AutoCloseable {
    /** Body prefix of the plain servlet's answers. */
    public static final String APP = "app ";

    private static final java.util.logging.Logger[] QUIET = {
        java.util.logging.Logger.getLogger("org.apache"),
        java.util.logging.Logger.getLogger("org.apache.catalina.loader"),
    };

    static {
        QUIET[0].setLevel(java.util.logging.Level.WARNING);
        QUIET[1].setLevel(java.util.logging.Level.SEVERE);
    }

    private final Tomcat tomcat;
    private final Context context;
    private final IpnsLinkFilter filter;

    private GatewayServer(Tomcat tomcat, Context context, IpnsLinkFilter filter) {
        this.tomcat = tomcat;
        this.context = context;
        this.filter = filter;
    }

    /** Starts Tomcat; fails when the filter (and so the context) did not start. */
    public static GatewayServer start(Path baseDir, IpnsLinkFilter filter, Map<String, String> initParams)
            throws LifecycleException {
        return start(baseDir, filter, initParams, Map.of(), "");
    }

    public static GatewayServer start(Path baseDir, IpnsLinkFilter filter, Map<String, String> initParams,
            Map<String, String> contextParams, String contextPath) throws LifecycleException {
        return start(baseDir, filter, initParams, contextParams, contextPath, 0);
    }

    /** As above with at most {@code maxThreads} container threads (0: Tomcat's default). */
    public static GatewayServer start(Path baseDir, IpnsLinkFilter filter, Map<String, String> initParams,
            Map<String, String> contextParams, String contextPath, int maxThreads) throws LifecycleException {
        return start(baseDir, filter, initParams, contextParams, contextPath, maxThreads, false);
    }

    /** With HTTP/2 over cleartext as well ({@code h2c}: Tomcat's upgrade from HTTP/1.1, and prior knowledge). */
    public static GatewayServer startWithH2c(Path baseDir, IpnsLinkFilter filter, Map<String, String> initParams)
            throws LifecycleException {
        return start(baseDir, filter, initParams, Map.of(), "", 0, true);
    }

    private static GatewayServer start(Path baseDir, IpnsLinkFilter filter, Map<String, String> initParams,
            Map<String, String> contextParams, String contextPath, int maxThreads, boolean h2c)
            throws LifecycleException {
        Tomcat tomcat = new Tomcat();
        if (h2c) {
            tomcat.getConnector().addUpgradeProtocol(new org.apache.coyote.http2.Http2Protocol());
        }
        tomcat.setBaseDir(baseDir.resolve("tomcat").toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        if (maxThreads > 0) {
            tomcat.getConnector().setProperty("maxThreads", Integer.toString(maxThreads));
            tomcat.getConnector().setProperty("minSpareThreads", "1");
        }
        Context ctx = tomcat.addContext(contextPath, null);
        contextParams.forEach(ctx::addParameter);
        Tomcat.addServlet(ctx, "app", new AppServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/", "app");
        FilterDef def = new FilterDef();
        def.setFilterName("ipnslink");
        def.setFilter(filter);
        def.setAsyncSupported("true");
        Map<String, String> params = new LinkedHashMap<>(initParams);
        params.putIfAbsent("data-dir", baseDir.resolve("data").toString());
        params.forEach(def::addInitParameter);
        ctx.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("ipnslink");
        map.addURLPattern("/*");
        map.setDispatcher("REQUEST");
        map.setDispatcher("ASYNC");
        ctx.addFilterMap(map);
        tomcat.start();
        GatewayServer server = new GatewayServer(tomcat, ctx, filter);
        if (ctx.getState() != LifecycleState.STARTED) {
            server.close();
            throw new IllegalStateException("the web app did not start (filter init failed?)");
        }
        return server;
    }

    public int port() {
        return tomcat.getConnector().getLocalPort();
    }

    /** {@code http://127.0.0.1:port} */
    public URI base() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public IpnsLinkFilter filter() {
        return filter;
    }

    /** The web app's servlet context (attributes the gateway's parts set). */
    public jakarta.servlet.ServletContext servletContext() {
        return context.getServletContext();
    }

    /** A servlet context attribute of the web app (what the gateway's parts publish there). */
    public Object contextAttribute(String name) {
        return context.getServletContext().getAttribute(name);
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * PUTs {@code site}'s record with manifest {@code m} (sequence 1, valid for an hour) to this
     * gateway's own routing endpoint, as an exposer publishing to it does; fails unless it answers 200.
     */
    public void publish(Sites.Site site, Manifest m) throws IOException, InterruptedException {
        byte[] record = Sites.record(site, m, 1, Duration.ofHours(1), Duration.ofMinutes(1)).raw();
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(base().resolve("/routing/v1/ipns/" + site.name()))
                .header("Content-Type", "application/vnd.ipfs.ipns-record").timeout(Duration.ofSeconds(10))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record)).build(), HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != 200) {
            throw new IllegalStateException("record PUT answered " + put.statusCode() + ": " + put.body());
        }
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }

    /** Answers {@code app METHOD /uri?query} with status 200. */
    static final class AppServlet extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String q = req.getQueryString() == null ? "" : "?" + req.getQueryString();
            byte[] body = (APP + req.getMethod() + " " + req.getRequestURI() + q).getBytes(StandardCharsets.UTF_8);
            resp.setStatus(200);
            resp.setContentType("text/plain;charset=utf-8");
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
        }
    }

    /** Unused accessor kept for tests that add params after construction. */
    Context context() {
        return context;
    }
}
