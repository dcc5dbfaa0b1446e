package io.ipnslink.samples.webapp;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.catalina.Container;
import org.apache.catalina.Context;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;

/**
 * Embedded Tomcat on a random loopback port with the sample's packaged WAR deployed at the root
 * context, as a standalone Tomcat would deploy {@code webapps/ROOT.war}.
 */
final class IntranetTomcat implements AutoCloseable {
    /** Held so that the levels stay set (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger[] QUIET = {
        java.util.logging.Logger.getLogger("org.apache"),
        // at undeploy Tomcat reports the JDK's CompletableFutureDelayScheduler thread and asks for --add-opens
        java.util.logging.Logger.getLogger("org.apache.catalina.loader.WebappClassLoaderBase"),
    };

    static {
        QUIET[0].setLevel(java.util.logging.Level.WARNING);
        QUIET[1].setLevel(java.util.logging.Level.SEVERE);
    }

    private final Tomcat tomcat;

    private IntranetTomcat(Tomcat tomcat) {
        this.tomcat = tomcat;
    }

    /** The WAR built by this module ({@code sample.war}, set by failsafe). */
    static Path war() {
        String p = System.getProperty("sample.war");
        if (p == null) {
            throw new IllegalStateException("system property sample.war is not set: run through maven-failsafe-plugin");
        }
        Path war = Path.of(p);
        if (!Files.isRegularFile(war)) {
            throw new IllegalStateException("no WAR at " + war + ": package the module first");
        }
        return war;
    }

    static IntranetTomcat start(Path baseDir) throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        Files.createDirectories(baseDir.resolve("webapps"));
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = tomcat.addWebapp("", war().toAbsolutePath().toString());
        // addWebapp gives the app Tomcat's conf/web.xml defaults (DefaultServlet, MIME types, welcome
        // files) and the JSP servlet; tomcat-embed-core has no Jasper, so drop that one again
        ctx.addLifecycleListener(event -> {
            if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                Container jsp = ctx.findChild("jsp");
                if (jsp != null) {
                    ctx.removeChild(jsp);
                    ctx.removeServletMapping("*.jsp");
                    ctx.removeServletMapping("*.jspx");
                }
            }
        });
        tomcat.start();
        IntranetTomcat server = new IntranetTomcat(tomcat);
        if (ctx.getState() != LifecycleState.STARTED) {
            server.close();
            throw new IllegalStateException("the intranet web app did not start (see the log above)");
        }
        return server;
    }

    int port() {
        return tomcat.getConnector().getLocalPort();
    }

    /** {@code http://127.0.0.1:port} */
    URI base() {
        return URI.create("http://127.0.0.1:" + port());
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }
}
