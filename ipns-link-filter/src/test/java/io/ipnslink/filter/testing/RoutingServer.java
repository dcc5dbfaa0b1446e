package io.ipnslink.filter.testing;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.server.RoutingV1Servlet;
import io.ipnslink.routing.store.JdbcRecordStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;

/** A separate delegated routing v1 server (embedded Tomcat, its own H2 store) for resolution tests. */
public final class RoutingServer implements AutoCloseable {
    private final Tomcat tomcat;
    private final JdbcRecordStore store;

    public RoutingServer(Path dir, Clock clock) throws LifecycleException {
        store = JdbcRecordStore.h2File(dir.resolve("store"), clock);
        tomcat = new Tomcat();
        tomcat.setBaseDir(dir.resolve("tomcat").toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = tomcat.addContext("", null);
        Tomcat.addServlet(ctx, "routing", new RoutingV1Servlet(store, RoutingV1Servlet.Settings.defaults().withClock(clock)));
        ctx.addServletMappingDecoded("/routing/v1/*", "routing");
        tomcat.start();
    }

    public void put(IpnsName name, IpnsRecord record) {
        store.put(name, record);
    }

    public URI base() {
        return URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort());
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
        store.close();
    }
}
