package io.ipnslink.filter.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.filter.GatewayOverrides;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.filter.tenants.TenantAdmin;
import io.ipnslink.filter.testing.FakeForwarder;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import javax.security.auth.x500.X500Principal;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * A gateway with the admin servlet at {@code /admin/*}, a fake forwarder (answers {@code proxied ...}),
 * a fake DNS ({@link #txt}) and, in front of everything, a filter that sets the client certificate
 * request attribute as a container with a TLS connector does, from the test header
 * {@value #CERT_HEADER} (the subject of a certificate the "container" verified).
 */
final class AdminFixture implements AutoCloseable {
    static final String TOKEN = "test-admin-token-0123456789";
    static final String CERT_HEADER = "X-Test-Client-Subject";
    static final ObjectMapper JSON = new ObjectMapper();

    static {
        java.util.logging.Logger.getLogger("org.apache").setLevel(java.util.logging.Level.WARNING);
    }

    final Tomcat tomcat;
    final IpnsLinkFilter filter;
    final Context context;
    final FakeForwarder forwarder;
    final Map<String, List<TxtLookup.Txt>> txt;

    private AdminFixture(Tomcat tomcat, IpnsLinkFilter filter, Context context, FakeForwarder forwarder,
            Map<String, List<TxtLookup.Txt>> txt) {
        this.tomcat = tomcat;
        this.filter = filter;
        this.context = context;
        this.forwarder = forwarder;
        this.txt = txt;
    }

    /** Starts with {@code params} (init-params; {@code data-dir} under {@code dir} unless given). */
    static AdminFixture start(Path dir, Map<String, String> params) throws LifecycleException {
        return start(dir, params, new ConcurrentHashMap<>());
    }

    static AdminFixture start(Path dir, Map<String, String> params, Map<String, List<TxtLookup.Txt>> txt)
            throws LifecycleException {
        FakeForwarder forwarder = new FakeForwarder();
        TxtLookup lookup = fqdn -> CompletableFuture.completedFuture(txt.getOrDefault(fqdn, List.of()));
        IpnsLinkFilter filter = new IpnsLinkFilter(GatewayOverrides.none().withForwarder((h, c) -> forwarder)
                .withTxtLookup(lookup));
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(dir.resolve("tomcat").toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = tomcat.addContext("", null);
        Tomcat.addServlet(ctx, "landing", new LandingServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("", "landing");
        ctx.addServletMappingDecoded("/", "landing");
        Tomcat.addServlet(ctx, "admin", new AdminServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/admin/*", "admin");
        addFilter(ctx, "client-cert", certFilter(), Map.of());
        Map<String, String> p = new LinkedHashMap<>(params);
        p.putIfAbsent("data-dir", dir.resolve("data").toString());
        addFilter(ctx, "ipns-link", filter, p);
        tomcat.start();
        AdminFixture f = new AdminFixture(tomcat, filter, ctx, forwarder, txt);
        if (ctx.getState() != LifecycleState.STARTED) {
            f.close();
            throw new IllegalStateException("the web app did not start");
        }
        return f;
    }

    private static void addFilter(Context ctx, String name, Filter filter, Map<String, String> params) {
        FilterDef def = new FilterDef();
        def.setFilterName(name);
        def.setFilter(filter);
        def.setAsyncSupported("true");
        params.forEach(def::addInitParameter);
        ctx.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName(name);
        map.addURLPattern("/*");
        map.setDispatcher("REQUEST");
        map.setDispatcher("ASYNC");
        ctx.addFilterMap(map);
    }

    /** Sets {@code jakarta.servlet.request.X509Certificate} from the test header, as a TLS connector would. */
    private static Filter certFilter() {
        return (request, response, chain) -> {
            String subject = ((HttpServletRequest) request).getHeader(CERT_HEADER);
            if (subject != null) {
                request.setAttribute(AdminAuth.CERT_ATTRIBUTE, new X509Certificate[] {new SubjectOnly(subject)});
            }
            chain.doFilter(request, response);
        };
    }

    TenantAdmin admin() {
        return (TenantAdmin) context.getServletContext().getAttribute(TenantAdmin.ATTRIBUTE);
    }

    int port() {
        return tomcat.getConnector().getLocalPort();
    }

    String host() {
        return "127.0.0.1:" + port();
    }

    RawHttp.Response get(String path, String... headers) throws Exception {
        return RawHttp.get(port(), host(), path, headers);
    }

    /** A request with the token. */
    RawHttp.Response api(String method, String path, String json, String... more) throws Exception {
        List<String> h = new ArrayList<>(List.of("Authorization", "Bearer " + TOKEN));
        if (json != null) {
            h.add("Content-Type");
            h.add("application/json");
        }
        h.addAll(List.of(more));
        return RawHttp.send(port(), method, host(), path, json == null ? null : json.getBytes(StandardCharsets.UTF_8),
                h.toArray(String[]::new));
    }

    static JsonNode json(RawHttp.Response r) throws Exception {
        return JSON.readTree(r.body());
    }

    /** Publishes {@code site}'s record (with a manifest) to the gateway's own routing endpoint. */
    void publish(Sites.Site site) throws Exception {
        RawHttp.Response r = put(site);
        if (r.status() != 200) {
            throw new IllegalStateException("record PUT answered " + r.status() + ": " + r.text());
        }
    }

    /** PUTs {@code site}'s record (with a manifest) to the gateway's own routing endpoint: the answer. */
    RawHttp.Response put(Sites.Site site) throws Exception {
        byte[] record = Sites.record(site, Sites.deadManifest(null, false), 1, Duration.ofHours(1),
                Duration.ofMinutes(1)).raw();
        return RawHttp.send(port(), "PUT", host(), "/routing/v1/ipns/" + site.name(), record,
                "Content-Type", "application/vnd.ipfs.ipns-record");
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }

    /** A verified client certificate as the request attribute carries it; only its subject is read. */
    static final class SubjectOnly extends X509Certificate {
        private final X500Principal subject;

        SubjectOnly(String subject) {
            this.subject = new X500Principal(subject);
        }

        @Override
        public X500Principal getSubjectX500Principal() {
            return subject;
        }

        @Override
        public Principal getSubjectDN() {
            return subject;
        }

        @Override
        public void checkValidity() {
        }

        @Override
        public void checkValidity(Date date) {
        }

        @Override
        public int getVersion() {
            return 3;
        }

        @Override
        public BigInteger getSerialNumber() {
            return BigInteger.ONE;
        }

        @Override
        public Principal getIssuerDN() {
            return subject;
        }

        @Override
        public Date getNotBefore() {
            return new Date(0);
        }

        @Override
        public Date getNotAfter() {
            return new Date(Long.MAX_VALUE);
        }

        @Override
        public byte[] getTBSCertificate() {
            return new byte[0];
        }

        @Override
        public byte[] getSignature() {
            return new byte[0];
        }

        @Override
        public String getSigAlgName() {
            return "none";
        }

        @Override
        public String getSigAlgOID() {
            return "0";
        }

        @Override
        public byte[] getSigAlgParams() {
            return null;
        }

        @Override
        public boolean[] getIssuerUniqueID() {
            return null;
        }

        @Override
        public boolean[] getSubjectUniqueID() {
            return null;
        }

        @Override
        public boolean[] getKeyUsage() {
            return null;
        }

        @Override
        public int getBasicConstraints() {
            return -1;
        }

        @Override
        public byte[] getEncoded() {
            return new byte[0];
        }

        @Override
        public void verify(PublicKey key) {
        }

        @Override
        public void verify(PublicKey key, String sigProvider) {
        }

        @Override
        public String toString() {
            return "certificate of " + subject;
        }

        @Override
        public PublicKey getPublicKey() {
            return null;
        }

        @Override
        public boolean hasUnsupportedCriticalExtension() {
            return false;
        }

        @Override
        public Set<String> getCriticalExtensionOIDs() {
            return Set.of();
        }

        @Override
        public Set<String> getNonCriticalExtensionOIDs() {
            return Set.of();
        }

        @Override
        public byte[] getExtensionValue(String oid) {
            return null;
        }
    }
}
