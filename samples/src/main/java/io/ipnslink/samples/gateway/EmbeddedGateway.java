package io.ipnslink.samples.gateway;

import io.ipnslink.filter.IpnsLinkFilter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
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
 * The gateway filter in an embedded Tomcat, for people without a container: the filter on
 * {@code /*} (async, REQUEST and ASYNC dispatch) in front of a small landing page.
 */
public final class EmbeddedGateway implements AutoCloseable {
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
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(dataDir.resolve("tomcat").toString());
        tomcat.setHostname(address);
        tomcat.setPort(port);
        tomcat.getConnector().setProperty("address", address);
        tomcat.getConnector().setThrowOnFailure(true);
        Context ctx = tomcat.addContext("", null);
        Tomcat.addServlet(ctx, "landing", new LandingServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/", "landing");
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

    /** What this gateway is, and a form to open a name. */
    static final class LandingServlet extends HttpServlet {
        private static final String PAGE = """
                <!doctype html><html lang="en"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width,initial-scale=1">
                <title>IPNS-Link gateway</title><style>
                body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
                main{max-width:40rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:12px;
                box-shadow:0 2px 12px rgba(0,0,0,.06)}h1{margin-top:0;font-size:1.6rem}
                form{display:flex;gap:.5rem}input{flex:1;padding:.6rem;border:1px solid #c9ced8;border-radius:8px;
                font:inherit}button{padding:.6rem 1rem;border:0;border-radius:8px;background:#2f6fde;color:#fff;font:inherit}
                small{color:#667}</style></head><body><main>
                <h1>IPNS-Link gateway</h1>
                <p>This gateway opens web sites addressed by an IPNS name: it finds the site's signed record,
                connects to the site's own machine over libp2p and relays the page to you.</p>
                <form action="/ipns/" method="get" onsubmit="location='/ipns/'+encodeURIComponent(this.n.value.trim())+'/';return false">
                <input name="n" placeholder="k51qzi5uqu5d..." aria-label="IPNS name" required>
                <button>Open</button></form>
                <p><small>Paths: <code>/ipns/{name}/</code> or <code>{name}.ipns.{this host}</code>.</small></p>
                </main></body></html>
                """;

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            if (!"/".equals(req.getRequestURI())) {
                resp.sendError(404, "Not found");
                return;
            }
            byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
            resp.setContentType("text/html;charset=utf-8");
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
        }
    }
}
