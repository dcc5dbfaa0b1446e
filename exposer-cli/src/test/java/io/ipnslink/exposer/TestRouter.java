package io.ipnslink.exposer;

import io.ipnslink.routing.server.RoutingV1Servlet;
import io.ipnslink.routing.store.JdbcRecordStore;
import java.net.URI;
import java.nio.file.Path;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;

/** A routing v1 endpoint (RoutingV1Servlet over an H2 store) in embedded Tomcat on a loopback port. */
public final class TestRouter implements AutoCloseable {
    private final Tomcat tomcat = new Tomcat();
    private final JdbcRecordStore store;

    public TestRouter(Path dir) throws Exception {
        store = JdbcRecordStore.h2File(dir.resolve("db"));
        tomcat.setBaseDir(dir.resolve("tomcat").toString());
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = tomcat.addContext("", null);
        Tomcat.addServlet(ctx, "routing", new RoutingV1Servlet(store,
                RoutingV1Servlet.Settings.defaults().withPutRate(1000, 1000)));
        ctx.addServletMappingDecoded("/routing/v1/*", "routing");
        tomcat.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort());
    }

    public JdbcRecordStore store() {
        return store;
    }

    @Override
    public void close() throws Exception {
        tomcat.stop();
        tomcat.destroy();
        store.close();
    }
}
