package io.ipnslink.filter.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.pages.Page;
import io.ipnslink.filter.pages.Pages;
import io.ipnslink.filter.tenants.AuditEntry;
import io.ipnslink.filter.tenants.CustomDomain;
import io.ipnslink.filter.tenants.Quota;
import io.ipnslink.filter.tenants.SiteEntry;
import io.ipnslink.filter.tenants.Tenant;
import io.ipnslink.filter.tenants.TenantAdmin;
import io.ipnslink.filter.tenants.TenantException;
import io.ipnslink.filter.tenants.TenantSettings;
import io.ipnslink.filter.tenants.TenantStore;
import io.ipnslink.filter.tenants.UsageHour;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API (JSON over HTTP, {@code /admin/api/...}) and the admin page ({@code /admin/}) of
 * tenants, sites, custom domains, quotas, usage and the audit log (docs/admin.md). Map it at
 * {@code /admin/*} next to {@code IpnsLinkFilter}; it works on the running filter's
 * {@link TenantAdmin} (servlet context attribute {@link TenantAdmin#ATTRIBUTE}).
 *
 * <p>Access: off (404) unless {@code admin-token} or {@code admin-client-subjects} is set and
 * {@code admin} is not {@code off}; with {@code admin=local} (the default) only loopback clients
 * (403 for others). Credentials: a listed client certificate, {@code Authorization: Bearer
 * {admin-token}}, or the page's session cookie (page only). Requests with ambient credentials
 * (certificate, cookie) that change something must come from the gateway's own origin (the
 * {@code Origin} header) and, for the page's forms, carry the form's anti-CSRF value. Bodies are at
 * most {@value #MAX_BODY_BYTES} bytes (413), JSON ({@code application/json}, else 415), objects of
 * known fields only.
 */
public class AdminServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    /** Largest request body. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** Most rows of one usage answer. */
    public static final int MAX_USAGE_ROWS = 10_000;
    /** Longest usage window. */
    public static final Duration MAX_USAGE_WINDOW = Duration.ofDays(366);
    /** Default usage window. */
    public static final Duration DEFAULT_USAGE_WINDOW = Duration.ofDays(7);

    static final String JSON = "application/json";
    private static final Logger LOG = LoggerFactory.getLogger(AdminServlet.class);
    static final ObjectMapper MAPPER = io.ipnslink.filter.web.JsonMappers.json().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper READER = io.ipnslink.filter.web.JsonMappers.json();

    static {
        READER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8)
                .maxStringLength(MAX_BODY_BYTES).maxNumberLength(40).build());
    }

    private transient volatile AdminAuth auth;
    private transient volatile TenantSettings authSettings;

    /** A request the API refuses: status and message. */
    static final class ApiError extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        ApiError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Cache-Control", "no-store");
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        boolean api = path.equals("/api") || path.startsWith("/api/");
        Optional<GatewayConfig> config = GatewayWeb.config(getServletContext());
        TenantAdmin admin = getServletContext().getAttribute(TenantAdmin.ATTRIBUTE) instanceof TenantAdmin a ? a : null;
        if (config.isEmpty() || admin == null) {
            if (api) {
                writeJson(resp, 503, error("the IPNS-Link gateway filter is not running in this web app"));
            } else {
                Pages.write(resp, new Page(503, "Gateway not running", "The IPNS-Link gateway filter is not running"
                        + " in this web application; see the server log."), "text/html", null);
            }
            return;
        }
        TenantSettings settings = admin.settings();
        if (!settings.adminEnabled()) {
            GatewayWeb.notFound(resp, req);
            return;
        }
        if (settings.admin() == TenantSettings.Admin.LOCAL && !GatewayWeb.isLocal(req, config.get())) {
            if (api) {
                writeJson(resp, 403, error("the admin API answers clients on this machine only (admin=local)"));
            } else {
                Pages.write(resp, new Page(403, "Not here", "The admin page answers clients on this machine only."),
                        "text/html", null);
            }
            return;
        }
        AdminAuth a = auth(settings);
        try {
            if (api) {
                api(req, resp, admin, config.get(), a, path.substring(4));
            } else {
                new AdminPage(admin, config.get(), a, clock(admin)).serve(req, resp, path);
            }
        } catch (TenantException e) {
            if (e.kind() == TenantException.Kind.UNAVAILABLE) {
                LOG.warn("admin: {} {}: {}", req.getMethod(), req.getRequestURI(), e.getMessage());
            }
            if (!resp.isCommitted()) {
                resp.reset();
                resp.setHeader("Cache-Control", "no-store");
                writeJson(resp, e.kind().status(), error(e.kind() == TenantException.Kind.UNAVAILABLE
                        ? "the database is unavailable; see the server log" : e.getMessage()));
            }
        }
    }

    private AdminAuth auth(TenantSettings settings) {
        AdminAuth a = auth;
        if (a == null || authSettings != settings) {
            a = new AdminAuth(settings, Clock.systemUTC());
            auth = a;
            authSettings = settings;
        }
        return a;
    }

    private static Clock clock(TenantAdmin admin) {
        return Clock.systemUTC();
    }

    // ---- the API

    private void api(HttpServletRequest req, HttpServletResponse resp, TenantAdmin admin, GatewayConfig config,
            AdminAuth auth, String path) throws IOException {
        AdminAuth.Result who = auth.authenticate(req, config, false);
        if (!who.ok()) {
            if (who.status() == 401) {
                resp.setHeader("WWW-Authenticate", "Bearer realm=\"ipns-link admin\"");
            }
            writeJson(resp, who.status(), error(who.error()));
            return;
        }
        if (!who.byHeader() && AdminAuth.crossOrigin(req, config)) {
            writeJson(resp, 403, error("cross-origin requests are refused"));
            return;
        }
        try {
            Answer a = route(req, admin, who.actor(), path);
            if (a.csv != null) {
                byte[] b = a.csv.getBytes(StandardCharsets.UTF_8);
                resp.setStatus(200);
                resp.setContentType("text/csv;charset=utf-8");
                resp.setHeader("Content-Disposition", "attachment; filename=\"usage.csv\"");
                resp.setHeader("X-Content-Type-Options", "nosniff");
                resp.setContentLength(b.length);
                resp.getOutputStream().write(b);
            } else if (a.body == null) {
                resp.setStatus(a.status);
            } else {
                writeJson(resp, a.status, a.body);
            }
        } catch (ApiError e) {
            if (e.status == 405) {
                resp.setHeader("Allow", e.getMessage().substring(e.getMessage().indexOf(':') + 1).trim());
            }
            writeJson(resp, e.status, error(e.getMessage()));
        }
    }

    /** A JSON answer, a CSV answer, or a status without body. */
    record Answer(int status, Object body, String csv) {
        static Answer json(int status, Object body) {
            return new Answer(status, body, null);
        }
    }

    private Answer route(HttpServletRequest req, TenantAdmin admin, TenantAdmin.Actor who, String path)
            throws ApiError, IOException {
        String m = req.getMethod();
        List<String> p = segments(path);
        TenantStore store = admin.store();
        if (p.size() == 1 && p.get(0).equals("tenants")) {
            if (m.equals("GET")) {
                return Answer.json(200, Map.of("tenants", tenantsJson(store, null)));
            }
            allow(m, "POST", "GET, POST");
            JsonNode body = jsonBody(req, "id", "name");
            Tenant t = admin.createTenant(who, text(body, "id", true), text(body, "name", true));
            return Answer.json(201, tenantJson(t, List.of(), Quota.NONE, List.of()));
        }
        if (p.size() == 2 && p.get(0).equals("tenants")) {
            String id = TenantStore.tenantId(p.get(1));
            if (m.equals("GET")) {
                Tenant t = store.tenant(id).orElseThrow(() -> new ApiError(404, "no tenant '" + id + "'"));
                return Answer.json(200, tenantsJson(store, t).get(0));
            }
            allow(m, "DELETE", "GET, DELETE");
            if (!admin.deleteTenant(who, id)) {
                throw new ApiError(404, "no tenant '" + id + "'");
            }
            return new Answer(204, null, null);
        }
        if (p.size() == 3 && p.get(0).equals("tenants") && p.get(2).equals("quota")) {
            allow(m, "PUT", "PUT");
            String id = TenantStore.tenantId(p.get(1));
            Quota q = quota(jsonBody(req, "requestsPerSecond", "maxStreams", "bytesPerMonth"));
            admin.setQuota(who, "tenant", id, q);
            return Answer.json(200, quotaJson(q));
        }
        if (p.size() == 3 && p.get(0).equals("tenants") && p.get(2).equals("sites")) {
            allow(m, "POST", "POST");
            String id = TenantStore.tenantId(p.get(1));
            IpnsName site = TenantStore.siteName(text(jsonBody(req, "name"), "name", true));
            boolean created = admin.attachSite(who, id, site);
            return Answer.json(created ? 201 : 200, Map.of("name", site.toString(), "tenant", id));
        }
        if (p.size() == 4 && p.get(0).equals("tenants") && p.get(2).equals("sites")) {
            allow(m, "DELETE", "DELETE");
            String id = TenantStore.tenantId(p.get(1));
            IpnsName site = TenantStore.siteName(p.get(3));
            if (!admin.detachSite(who, id, site)) {
                throw new ApiError(404, "site " + site + " is not attached to tenant '" + id + "'");
            }
            return new Answer(204, null, null);
        }
        if (p.size() == 1 && p.get(0).equals("sites")) {
            allow(m, "GET", "GET");
            Map<String, Quota> quotas = store.quotas();
            List<Object> out = new ArrayList<>();
            for (SiteEntry s : store.sites()) {
                out.add(siteJson(s, quotas.getOrDefault("site:" + s.name(), Quota.NONE)));
            }
            return Answer.json(200, Map.of("sites", out));
        }
        if (p.size() == 3 && p.get(0).equals("sites") && p.get(2).equals("quota")) {
            allow(m, "PUT", "PUT");
            IpnsName site = TenantStore.siteName(p.get(1));
            Quota q = quota(jsonBody(req, "requestsPerSecond", "maxStreams", "bytesPerMonth"));
            admin.setQuota(who, "site", site.toString(), q);
            return Answer.json(200, quotaJson(q));
        }
        if (p.size() == 1 && p.get(0).equals("domains")) {
            if (m.equals("GET")) {
                List<Object> out = new ArrayList<>();
                for (CustomDomain d : store.domains()) {
                    out.add(domainJson(d));
                }
                return Answer.json(200, Map.of("domains", out));
            }
            allow(m, "POST", "GET, POST");
            JsonNode body = jsonBody(req, "domain", "site");
            CustomDomain d = admin.addDomain(who, text(body, "domain", true),
                    TenantStore.siteName(text(body, "site", true)));
            return Answer.json(201, domainJson(d));
        }
        if (p.size() == 2 && p.get(0).equals("domains")) {
            String host = TenantStore.domain(p.get(1));
            if (m.equals("GET")) {
                return Answer.json(200, domainJson(store.domainOf(host)
                        .orElseThrow(() -> new ApiError(404, "no domain " + host))));
            }
            allow(m, "DELETE", "GET, DELETE");
            if (!admin.deleteDomain(who, host)) {
                throw new ApiError(404, "no domain " + host);
            }
            return new Answer(204, null, null);
        }
        if (p.size() == 3 && p.get(0).equals("domains") && p.get(2).equals("verify")) {
            allow(m, "POST", "POST");
            return Answer.json(200, domainJson(admin.verifyDomain(who, p.get(1))));
        }
        if (p.size() == 1 && p.get(0).equals("audit")) {
            allow(m, "GET", "GET");
            int limit = intParam(req, "limit", 100, 1, 1000);
            long before = longParam(req, "before", 0);
            List<Object> out = new ArrayList<>();
            for (AuditEntry e : admin.audit().list(limit, before)) {
                out.add(auditJson(e));
            }
            return Answer.json(200, Map.of("entries", out));
        }
        if (p.size() == 1 && p.get(0).equals("usage")) {
            allow(m, "GET", "GET");
            return usage(req, store);
        }
        throw new ApiError(404, "no such admin API resource (docs/admin.md)");
    }

    private static Answer usage(HttpServletRequest req, TenantStore store) throws ApiError {
        String siteText = req.getParameter("site");
        String site = siteText == null || siteText.isEmpty() ? null : TenantStore.siteName(siteText).toString();
        Instant now = Instant.now();
        Instant to = instantParam(req, "to", now.truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1)));
        Instant from = instantParam(req, "from", to.minus(DEFAULT_USAGE_WINDOW));
        if (!from.isBefore(to)) {
            throw new ApiError(400, "from must be before to");
        }
        if (Duration.between(from, to).compareTo(MAX_USAGE_WINDOW) > 0) {
            throw new ApiError(400, "at most " + MAX_USAGE_WINDOW.toDays() + " days at once");
        }
        List<UsageHour> hours = store.usage(site, from, to, MAX_USAGE_ROWS + 1);
        boolean truncated = hours.size() > MAX_USAGE_ROWS;
        if (truncated) {
            hours = hours.subList(0, MAX_USAGE_ROWS);
        }
        String format = req.getParameter("format");
        if (format != null && format.equalsIgnoreCase("csv")) {
            StringBuilder b = new StringBuilder("site,hour_start,requests,bytes_in,bytes_out,errors,p50_ms,p99_ms\n");
            for (UsageHour h : hours) {
                b.append(h.site()).append(',').append(h.hourStart()).append(',').append(h.requests()).append(',')
                        .append(h.bytesIn()).append(',').append(h.bytesOut()).append(',').append(h.errors()).append(',')
                        .append(h.p50Ms() == null ? "" : h.p50Ms()).append(',')
                        .append(h.p99Ms() == null ? "" : h.p99Ms()).append('\n');
            }
            return new Answer(200, null, b.toString());
        }
        if (format != null && !format.equalsIgnoreCase("json")) {
            throw new ApiError(400, "format is json or csv");
        }
        List<Object> rows = new ArrayList<>();
        for (UsageHour h : hours) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("site", h.site());
            r.put("hour", h.hourStart().toString());
            r.put("requests", h.requests());
            r.put("bytesIn", h.bytesIn());
            r.put("bytesOut", h.bytesOut());
            r.put("errors", h.errors());
            r.put("p50Ms", h.p50Ms());
            r.put("p99Ms", h.p99Ms());
            rows.add(r);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("site", site);
        out.put("from", from.toString());
        out.put("to", to.toString());
        out.put("truncated", truncated);
        out.put("hours", rows);
        return Answer.json(200, out);
    }

    // ---- JSON shapes

    private static List<Map<String, Object>> tenantsJson(TenantStore store, Tenant only) {
        List<Tenant> tenants = only == null ? store.tenants() : List.of(only);
        List<SiteEntry> sites = store.sites();
        List<CustomDomain> domains = store.domains();
        Map<String, Quota> quotas = store.quotas();
        List<Map<String, Object>> out = new ArrayList<>();
        for (Tenant t : tenants) {
            List<SiteEntry> mine = sites.stream().filter(s -> s.tenant().equals(t.id())).toList();
            List<CustomDomain> myDomains = domains.stream()
                    .filter(d -> mine.stream().anyMatch(s -> s.name().equals(d.site()))).toList();
            out.add(tenantJson(t, mine, quotas.getOrDefault("tenant:" + t.id(), Quota.NONE), myDomains, quotas));
        }
        return out;
    }

    private static Map<String, Object> tenantJson(Tenant t, List<SiteEntry> sites, Quota quota,
            List<CustomDomain> domains) {
        return tenantJson(t, sites, quota, domains, Map.of());
    }

    private static Map<String, Object> tenantJson(Tenant t, List<SiteEntry> sites, Quota quota,
            List<CustomDomain> domains, Map<String, Quota> quotas) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("name", t.name());
        m.put("created", t.created().truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("quota", quotaJson(quota));
        List<Object> s = new ArrayList<>();
        for (SiteEntry e : sites) {
            s.add(siteJson(e, quotas.getOrDefault("site:" + e.name(), Quota.NONE)));
        }
        m.put("sites", s);
        List<Object> d = new ArrayList<>();
        for (CustomDomain c : domains) {
            d.add(domainJson(c));
        }
        m.put("domains", d);
        return m;
    }

    private static Map<String, Object> siteJson(SiteEntry s, Quota quota) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name().toString());
        m.put("tenant", s.tenant());
        m.put("created", s.created().truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("quota", quotaJson(quota));
        return m;
    }

    static Map<String, Object> quotaJson(Quota q) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requestsPerSecond", q.requestsPerSecond());
        m.put("maxStreams", q.maxStreams());
        m.put("bytesPerMonth", q.bytesPerMonth());
        return m;
    }

    static Map<String, Object> domainJson(CustomDomain d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domain", d.host());
        m.put("site", d.site().toString());
        m.put("verified", d.isVerified());
        m.put("verifiedAt", d.verified() == null ? null : d.verified().truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("created", d.created().truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("verification", Map.of("txtName", d.txtName(), "txtValue", d.txtValue()));
        return m;
    }

    private static Map<String, Object> auditJson(AuditEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("at", e.at().toString());
        m.put("actor", e.actor());
        m.put("client", e.client());
        m.put("action", e.action());
        m.put("subject", e.subject());
        m.put("detail", e.detail());
        return m;
    }

    static Map<String, Object> error(String message) {
        return Map.of("error", message);
    }

    // ---- input

    private static void allow(String method, String expected, String allowed) throws ApiError {
        if (!method.equals(expected)) {
            throw new ApiError(405, "method " + method + " not allowed here; allowed: " + allowed);
        }
    }

    /** Path segments after {@code /api}, percent-decoded; empty ones refused. */
    private static List<String> segments(String path) throws ApiError {
        List<String> out = new ArrayList<>();
        if (path.isEmpty() || path.equals("/")) {
            return out;
        }
        for (String s : path.substring(1).split("/", -1)) {
            if (s.isEmpty() || s.length() > 300) {
                throw new ApiError(404, "no such admin API resource (docs/admin.md)");
            }
            out.add(s);
        }
        return out;
    }

    /** The body: a JSON object of only {@code fields}. */
    private static JsonNode jsonBody(HttpServletRequest req, String... fields) throws ApiError, IOException {
        String type = req.getContentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).split(";")[0].trim().equals(JSON)) {
            throw new ApiError(415, "the body must be JSON (Content-Type: application/json)");
        }
        byte[] body = readBody(req, MAX_BODY_BYTES);
        JsonNode node;
        try {
            node = READER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "the body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new ApiError(400, "the body must be a JSON object");
        }
        List<String> known = List.of(fields);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new ApiError(400, "unknown field '" + (f.length() > 40 ? f.substring(0, 40) + "..." : f)
                        + "'; fields: " + String.join(", ", known));
            }
        }
        return node;
    }

    /** The body, at most {@code max} bytes (413 beyond, told by Content-Length or found while reading). */
    static byte[] readBody(HttpServletRequest req, int max) throws ApiError, IOException {
        long declared = req.getContentLengthLong();
        if (declared > max) {
            throw new ApiError(413, "the body is larger than " + max + " bytes");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try (InputStream in = req.getInputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > max) {
                    throw new ApiError(413, "the body is larger than " + max + " bytes");
                }
                out.write(buf, 0, n);
            }
        }
        return out.toByteArray();
    }

    private static String text(JsonNode body, String field, boolean required) throws ApiError {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new ApiError(400, "field '" + field + "' is missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new ApiError(400, "field '" + field + "' must be a string");
        }
        return v.asText();
    }

    private static Quota quota(JsonNode body) throws ApiError {
        Double rps = null;
        JsonNode r = body.get("requestsPerSecond");
        if (r != null && !r.isNull()) {
            if (!r.isNumber() || !(r.asDouble() > 0) || r.asDouble() > 1_000_000) {
                throw new ApiError(400, "requestsPerSecond must be a number above 0 and at most 1000000, or null");
            }
            rps = r.asDouble();
        }
        Integer streams = null;
        JsonNode s = body.get("maxStreams");
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || s.asLong() < 1 || s.asLong() > 1_000_000) {
                throw new ApiError(400, "maxStreams must be a whole number from 1 to 1000000, or null");
            }
            streams = s.asInt();
        }
        Long bytes = null;
        JsonNode b = body.get("bytesPerMonth");
        if (b != null && !b.isNull()) {
            if (!b.isIntegralNumber() || !b.canConvertToLong() || b.asLong() < 1) {
                throw new ApiError(400, "bytesPerMonth must be a whole number of at least 1, or null");
            }
            bytes = b.asLong();
        }
        return new Quota(rps, streams, bytes);
    }

    private static int intParam(HttpServletRequest req, String name, int dflt, int min, int max) throws ApiError {
        String v = req.getParameter(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ApiError(400, name + " must be a whole number from " + min + " to " + max);
        }
    }

    private static long longParam(HttpServletRequest req, String name, long dflt) throws ApiError {
        String v = req.getParameter(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ApiError(400, name + " must be a whole number of at least 0");
        }
    }

    /** An ISO instant ({@code 2026-12-01T00:00:00Z}) or a date ({@code 2026-12-01}, midnight UTC). */
    static Instant instantParam(HttpServletRequest req, String name, Instant dflt) throws ApiError {
        String v = req.getParameter(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        if (v.length() > 40) {
            throw new ApiError(400, name + " is too long");
        }
        try {
            return v.length() == 10 ? LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC) : Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw new ApiError(400, name + " must be a date (2026-12-01) or an instant (2026-12-01T00:00:00Z)");
        }
    }

    /** {@code application/x-www-form-urlencoded} fields, first value of each. */
    static Map<String, String> form(byte[] body) throws ApiError {
        Map<String, String> out = new LinkedHashMap<>();
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.isEmpty()) {
            return out;
        }
        for (String pair : text.split("&")) {
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                throw new ApiError(400, "the form is not valid");
            }
            if (out.size() > 32) {
                throw new ApiError(400, "the form has too many fields");
            }
        }
        return out;
    }

    static void writeJson(HttpServletResponse resp, int status, Object body) throws IOException {
        byte[] b = MAPPER.writeValueAsBytes(body);
        resp.setStatus(status);
        resp.setContentType(JSON + ";charset=utf-8");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setContentLength(b.length);
        resp.getOutputStream().write(b);
    }
}
