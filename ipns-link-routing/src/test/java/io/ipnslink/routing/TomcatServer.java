package io.ipnslink.routing;

import jakarta.servlet.Servlet;
import java.net.URI;
import java.nio.file.Path;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;

/** An embedded Tomcat on a loopback port with servlets mounted at given patterns. */
public final class TomcatServer implements AutoCloseable {
    /** Held so that the JUL level settings are not garbage collected. */
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
    private int servlets;

    public TomcatServer(Path baseDir) {
        tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        context = tomcat.addContext("", null);
    }

    /** Mounts {@code servlet} at {@code pattern} (for example {@code /routing/v1/*}). */
    public TomcatServer mount(String pattern, Servlet servlet) {
        String name = "s" + (++servlets);
        Tomcat.addServlet(context, name, servlet);
        context.addServletMappingDecoded(pattern, name);
        return this;
    }

    public TomcatServer start() throws LifecycleException {
        tomcat.start();
        return this;
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort());
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }
}
