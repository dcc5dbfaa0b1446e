package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.testing.FakeForwarder;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.routing.testing.PostgresServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ContextResource;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;

/**
 * The gateway in Tomcat with its store as a container DataSource looked up by JNDI
 * ({@code store=java:comp/env/jdbc/ipnslink}): the {@code <Resource>} of docs/deployment.md
 * (test resource {@code jndi/context.xml}, Tomcat's default DBCP factory) on a real PostgreSQL
 * database. Records are kept there and the gateway joins the cluster.
 */
class JndiDataSourceTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    /** The {@code <Resource>} of the example context.xml, pointed at {@code url}. */
    static ContextResource resource(String url) throws Exception {
        String xml;
        try (InputStream in = JndiDataSourceTest.class.getResourceAsStream("/jndi/context.xml")) {
            xml = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("URL_OF_THE_TEST_DATABASE", url);
        }
        Element e = (Element) DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)))
                .getElementsByTagName("Resource").item(0);
        ContextResource r = new ContextResource();
        NamedNodeMap attributes = e.getAttributes();
        for (int i = 0; i < attributes.getLength(); i++) {
            String name = attributes.item(i).getNodeName();
            String value = attributes.item(i).getNodeValue();
            switch (name) {
                case "name" -> r.setName(value);
                case "type" -> r.setType(value);
                case "auth" -> r.setAuth(value);
                default -> r.setProperty(name, value);
            }
        }
        return r;
    }

    @Test
    void theGatewayUsesTheContainersDataSourceOnPostgres() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        String db = pg.newDatabase("jndi");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(dir.resolve("tomcat").toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.enableNaming();
        Context ctx = tomcat.addContext("", null);
        ctx.getNamingResources().addResource(resource(pg.jdbcUrl(db)));
        Tomcat.addServlet(ctx, "app", new jakarta.servlet.http.HttpServlet() { }).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/", "app"); // the web application the filter stands in front of
        FakeForwarder forwarder = new FakeForwarder();
        IpnsLinkFilter filter = new IpnsLinkFilter(GatewayOverrides.none()
                .withForwarder((host, config) -> forwarder)
                .withTxtLookup(fqdn -> CompletableFuture.completedFuture(List.of()))
                .withEnvironment(Map.of()));
        FilterDef def = new FilterDef();
        def.setFilterName("ipnslink");
        def.setFilter(filter);
        def.setAsyncSupported("true");
        Map.of("store", "java:comp/env/jdbc/ipnslink", "data-dir", dir.resolve("data").toString())
                .forEach(def::addInitParameter);
        ctx.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("ipnslink");
        map.addURLPattern("/*");
        map.setDispatcher("REQUEST");
        map.setDispatcher("ASYNC");
        ctx.addFilterMap(map);
        tomcat.start();
        try {
            assertEquals(LifecycleState.STARTED, ctx.getState(), "the gateway started with the JNDI DataSource");
            URI base = URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + "/");
            Sites.Site site = Sites.Site.generate();
            IpnsRecord r = Sites.record(site, Sites.deadManifest(null, false), 1, Duration.ofHours(1), Duration.ofMinutes(5));
            HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(base.resolve(RoutingV1.IPNS_PATH.substring(1)
                    + site.name())).header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(r.raw())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body());
            HttpResponse<byte[]> got = HTTP.send(HttpRequest.newBuilder(base.resolve("ipns/" + site.name()
                    + "?format=ipns-record")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(r.raw(), got.body());
            try (Connection c = pg.connect(db); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT name FROM ipns_records")) {
                    assertTrue(rs.next());
                    assertEquals(site.name().toString(), rs.getString(1), "the record is in the container's database");
                }
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM ipnslink_gateways")) {
                    rs.next();
                    assertEquals(1, rs.getInt(1), "the gateway's heartbeat is in the shared database");
                }
            }
        } finally {
            tomcat.stop();
            tomcat.destroy();
        }
    }
}
