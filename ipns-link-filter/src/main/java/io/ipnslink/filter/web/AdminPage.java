package io.ipnslink.filter.web;

import io.ipnslink.filter.GatewayStatus;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.pages.Page;
import io.ipnslink.filter.pages.Pages;
import io.ipnslink.filter.route.PublicRequest;
import io.ipnslink.filter.tenants.AuditEntry;
import io.ipnslink.filter.tenants.CustomDomain;
import io.ipnslink.filter.tenants.Quota;
import io.ipnslink.filter.tenants.SiteEntry;
import io.ipnslink.filter.tenants.Tenant;
import io.ipnslink.filter.tenants.TenantAdmin;
import io.ipnslink.filter.tenants.TenantException;
import io.ipnslink.filter.tenants.TenantStore;
import io.ipnslink.filter.tenants.UsageHour;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The admin page ({@code /admin/}): tenants, sites, custom domains with their state, usage charts
 * per site (inline SVG drawn here: no scripts, no external assets, the gateway's style), the latest
 * audit entries, and forms for the common changes. The forms post back to the page (login with the
 * token: an HttpOnly, SameSite=Strict session cookie; every change: same origin and the form's
 * anti-CSRF value), then redirect to it (303).
 */
final class AdminPage {
    /** Largest form body. */
    static final int MAX_FORM_BYTES = 16 * 1024;
    /** Hours in the charts. */
    static final int CHART_HOURS = 7 * 24;
    /** Most sites with a chart (those with the most requests). */
    static final int MAX_CHARTS = 24;
    /** Audit entries shown. */
    static final int AUDIT_SHOWN = 20;
    private static final String EXTRA_STYLE = "<style>body main{max-width:68rem}td{overflow-wrap:anywhere}"
            + "select{padding:.6rem .75rem;border:1px solid #c6ccd7;border-radius:9px;font:inherit;background:#fff}"
            + "form.inline{display:inline;margin:0}form.inline button{padding:.25rem .7rem;font-size:.85rem}"
            + "button.quiet{background:#eef1f5;color:#1d2330}button.quiet:hover{background:#dfe4ec;color:#1d2330}"
            + "table th{width:auto}td code{font-size:.8em}.chart{margin:.6rem 0 1.4rem}.chart svg{width:100%;height:auto}"
            + ".bar{fill:#2f62c8}.bar.err{fill:#c84a2f}.axis{stroke:#c6ccd7}.lbl{font:11px system-ui,sans-serif;fill:#7a8191}"
            + ".top{display:flex;justify-content:space-between;align-items:center}</style>";
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("EEE d MMM", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:00 'UTC'", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);

    private final TenantAdmin admin;
    private final GatewayConfig config;
    private final AdminAuth auth;
    private final Clock clock;

    AdminPage(TenantAdmin admin, GatewayConfig config, AdminAuth auth, Clock clock) {
        this.admin = admin;
        this.config = config;
        this.auth = auth;
        this.clock = clock;
    }

    void serve(HttpServletRequest req, HttpServletResponse resp, String path) throws IOException {
        String base = req.getContextPath() + req.getServletPath();
        if (path.isEmpty()) {
            resp.setStatus(301);
            resp.setHeader("Location", base + "/");
            return;
        }
        switch (path) {
            case "/login" -> login(req, resp, base);
            case "/logout" -> logout(req, resp, base);
            case "/" -> main(req, resp, base);
            default -> GatewayWeb.notFound(resp, req);
        }
    }

    // ---- login and logout

    private void login(HttpServletRequest req, HttpServletResponse resp, String base) throws IOException {
        if (req.getMethod().equals("GET")) {
            write(resp, 200, loginPage(base, null));
            return;
        }
        if (!req.getMethod().equals("POST")) {
            resp.setHeader("Allow", "GET, POST");
            write(resp, 405, loginPage(base, "Use the form."));
            return;
        }
        if (!AdminAuth.sameOrigin(req, config)) {
            write(resp, 403, loginPage(base, "This form works from this page only."));
            return;
        }
        Map<String, String> form = formOf(req, resp, base);
        if (form == null) {
            return;
        }
        if (!auth.isToken(form.get("token"))) {
            write(resp, 401, loginPage(base, "Wrong token."));
            return;
        }
        resp.addHeader("Set-Cookie", cookie(req, base, auth.newSession(), AdminAuth.SESSION.toSeconds()));
        redirect(resp, base + "/");
    }

    private void logout(HttpServletRequest req, HttpServletResponse resp, String base) throws IOException {
        if (!req.getMethod().equals("POST")) {
            resp.setHeader("Allow", "POST");
            GatewayWeb.notFound(resp, req);
            return;
        }
        resp.addHeader("Set-Cookie", cookie(req, base, "", 0));
        redirect(resp, base + "/login");
    }

    private String cookie(HttpServletRequest req, String base, String value, long maxAge) {
        boolean https = PublicRequest.from(req, config).scheme().equals("https");
        return AdminAuth.COOKIE + "=" + value + "; Path=" + base + "/; Max-Age=" + maxAge + "; HttpOnly; SameSite=Strict"
                + (https ? "; Secure" : "");
    }

    private String loginPage(String base, String error) {
        StringBuilder m = new StringBuilder();
        m.append("<span class=\"badge\">admin</span><h1>Sign in</h1>");
        if (error != null) {
            m.append("<p class=\"alert\" id=\"error\">").append(Pages.escape(error)).append("</p>");
        }
        if (admin.settings().adminToken().isPresent()) {
            m.append("<p class=\"hint\">The admin token is the gateway's <code>admin-token</code> key.</p>")
                    .append("<form method=\"post\" action=\"").append(Pages.escape(base)).append("/login\">")
                    .append("<input type=\"password\" name=\"token\" id=\"token\" placeholder=\"admin token\""
                            + " autocomplete=\"current-password\" required maxlength=\"512\">")
                    .append("<button type=\"submit\" id=\"signin\">Sign in</button></form>");
        } else {
            m.append("<p class=\"lead\">This gateway accepts TLS client certificates only: open this page with a"
                    + " certificate whose subject is listed in <code>admin-client-subjects</code>.</p>");
        }
        return Pages.document("Admin \u00b7 " + Pages.PRODUCT, EXTRA_STYLE, m.toString(), footer());
    }

    // ---- the page and its forms

    private void main(HttpServletRequest req, HttpServletResponse resp, String base) throws IOException {
        AdminAuth.Result who = auth.authenticate(req, config, true);
        if (!who.ok()) {
            if (who.status() == 403) {
                Pages.write(resp, new Page(403, "Not accepted", who.error()), "text/html", null);
            } else {
                write(resp, 401, loginPage(base, null));
            }
            return;
        }
        if (req.getMethod().equals("GET")) {
            write(resp, 200, page(base, who.actor(), req.getParameter("done"), null));
            return;
        }
        if (!req.getMethod().equals("POST")) {
            resp.setHeader("Allow", "GET, POST");
            write(resp, 405, page(base, who.actor(), null, "Use the forms of this page."));
            return;
        }
        if (!who.byHeader() && !AdminAuth.sameOrigin(req, config)) {
            write(resp, 403, page(base, who.actor(), null, "Changes are accepted from this page only (same origin)."));
            return;
        }
        Map<String, String> form = formOf(req, resp, base);
        if (form == null) {
            return;
        }
        if (!who.byHeader() && !auth.validCsrf(who.actor(), form.get("csrf"))) {
            write(resp, 403, page(base, who.actor(), null, "The form is stale: reload the page and try again."));
            return;
        }
        try {
            String done = act(who.actor(), form);
            redirect(resp, base + "/?done=" + done);
        } catch (TenantException e) {
            write(resp, e.kind().status(), page(base, who.actor(), null, e.kind() == TenantException.Kind.UNAVAILABLE
                    ? "The database is unavailable; see the server log." : e.getMessage()));
        }
    }

    /** Performs one form's action; returns the code of the note shown after the redirect. */
    private String act(TenantAdmin.Actor who, Map<String, String> f) {
        String action = f.getOrDefault("action", "");
        switch (action) {
            case "create-tenant" -> {
                admin.createTenant(who, f.get("id"), f.get("name"));
                return "tenant-created";
            }
            case "delete-tenant" -> {
                admin.deleteTenant(who, f.get("id"));
                return "tenant-deleted";
            }
            case "attach-site" -> {
                admin.attachSite(who, f.get("tenant"), TenantStore.siteName(trim(f.get("site"))));
                return "site-attached";
            }
            case "detach-site" -> {
                admin.detachSite(who, f.get("tenant"), TenantStore.siteName(trim(f.get("site"))));
                return "site-detached";
            }
            case "add-domain" -> {
                admin.addDomain(who, f.get("domain"), TenantStore.siteName(trim(f.get("site"))));
                return "domain-added";
            }
            case "verify-domain" -> {
                admin.verifyDomain(who, f.get("domain"));
                return "domain-verified";
            }
            case "delete-domain" -> {
                admin.deleteDomain(who, f.get("domain"));
                return "domain-deleted";
            }
            default -> throw new TenantException(TenantException.Kind.INVALID, "unknown action");
        }
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }

    private static final Map<String, String> NOTES = Map.of(
            "tenant-created", "Tenant created.", "tenant-deleted", "Tenant deleted with its sites and domains.",
            "site-attached", "Site attached.", "site-detached", "Site detached.",
            "domain-added", "Domain added: create its TXT record, then verify it.",
            "domain-verified", "Domain verified: it is served now.", "domain-deleted", "Domain removed.");

    String page(String base, TenantAdmin.Actor who, String done, String error) {
        TenantStore store = admin.store();
        List<Tenant> tenants = store.tenants();
        List<SiteEntry> sites = store.sites();
        List<CustomDomain> domains = store.domains();
        Map<String, Quota> quotas = store.quotas();
        String csrf = auth.csrf(who);
        String b = Pages.escape(base);
        StringBuilder m = new StringBuilder();
        m.append("<div class=\"top\"><span class=\"badge\">admin</span><form class=\"inline\" method=\"post\" action=\"")
                .append(b).append("/logout\"><button class=\"quiet\" type=\"submit\">Sign out</button></form></div>");
        m.append("<h1>Tenants, sites and domains</h1>");
        m.append("<p class=\"hint\">Signed in as <code>").append(Pages.escape(who.id())).append("</code> \u00b7 sites: <code>")
                .append(admin.settings().sites().name().toLowerCase(Locale.ROOT)).append("</code></p>");
        if (done != null && NOTES.containsKey(done)) {
            m.append("<p class=\"note\" id=\"done\">").append(Pages.escape(NOTES.get(done))).append("</p>");
        }
        if (error != null) {
            m.append("<p class=\"alert\" id=\"error\">").append(Pages.escape(error)).append("</p>");
        }
        // tenants
        m.append("<h2 id=\"tenants-heading\">Tenants (").append(tenants.size()).append(")</h2>");
        Map<String, Integer> siteCount = new HashMap<>();
        for (SiteEntry s : sites) {
            siteCount.merge(s.tenant(), 1, Integer::sum);
        }
        if (tenants.isEmpty()) {
            m.append("<p class=\"hint\">No tenants yet.</p>");
        } else {
            m.append("<table id=\"tenants\"><tr><th>Id</th><th>Name</th><th>Sites</th><th>Quota</th><th></th></tr>");
            for (Tenant t : tenants) {
                m.append("<tr><td><code>").append(Pages.escape(t.id())).append("</code></td><td>")
                        .append(Pages.escape(t.name())).append("</td><td class=\"n\">")
                        .append(siteCount.getOrDefault(t.id(), 0)).append("</td><td>")
                        .append(quotaText(quotas.get("tenant:" + t.id()))).append("</td><td>")
                        .append(button(b, csrf, "delete-tenant", "Delete", Map.of("id", t.id()))).append("</td></tr>");
            }
            m.append("</table>");
        }
        m.append("<form method=\"post\" action=\"").append(b).append("/\" id=\"create-tenant\">")
                .append(hidden("action", "create-tenant")).append(hidden("csrf", csrf))
                .append("<input name=\"id\" placeholder=\"id (e.g. acme)\" required maxlength=\"64\""
                        + " pattern=\"[a-z0-9][a-z0-9_\\-]*\">")
                .append("<input name=\"name\" placeholder=\"name\" required maxlength=\"200\">")
                .append("<button type=\"submit\">Create tenant</button></form>");
        // sites
        m.append("<h2>Sites (").append(sites.size()).append(")</h2>");
        if (sites.isEmpty()) {
            m.append("<p class=\"hint\">No sites attached.</p>");
        } else {
            m.append("<table id=\"sites\"><tr><th>Site</th><th>Tenant</th><th>Quota</th><th></th></tr>");
            for (SiteEntry s : sites) {
                m.append("<tr><td><code>").append(Pages.escape(s.name().toString())).append("</code></td><td><code>")
                        .append(Pages.escape(s.tenant())).append("</code></td><td>")
                        .append(quotaText(quotas.get("site:" + s.name()))).append("</td><td>")
                        .append(button(b, csrf, "detach-site", "Detach",
                                Map.of("tenant", s.tenant(), "site", s.name().toString()))).append("</td></tr>");
            }
            m.append("</table>");
        }
        if (!tenants.isEmpty()) {
            m.append("<form method=\"post\" action=\"").append(b).append("/\" id=\"attach-site\">")
                    .append(hidden("action", "attach-site")).append(hidden("csrf", csrf)).append("<select name=\"tenant\">");
            for (Tenant t : tenants) {
                m.append("<option value=\"").append(Pages.escape(t.id())).append("\">").append(Pages.escape(t.id()))
                        .append("</option>");
            }
            m.append("</select><input name=\"site\" placeholder=\"IPNS name (k51...)\" required maxlength=\"128\">")
                    .append("<button type=\"submit\">Attach site</button></form>");
        }
        // domains
        m.append("<h2>Custom domains (").append(domains.size()).append(")</h2>");
        if (domains.isEmpty()) {
            m.append("<p class=\"hint\">No custom domains.</p>");
        } else {
            m.append("<table id=\"domains\"><tr><th>Domain</th><th>Site</th><th>State</th><th></th></tr>");
            for (CustomDomain d : domains) {
                m.append("<tr><td>").append(Pages.escape(d.host())).append("</td><td><code>")
                        .append(Pages.escape(d.site().toString())).append("</code></td><td>");
                if (d.isVerified()) {
                    m.append("<span class=\"badge ok\">verified</span>");
                } else {
                    m.append("<span class=\"badge warn\">pending</span><br><span class=\"hint\">TXT <code>")
                            .append(Pages.escape(d.txtName())).append("</code> = <code>")
                            .append(Pages.escape(d.txtValue())).append("</code></span>");
                }
                m.append("</td><td>");
                if (!d.isVerified()) {
                    m.append(button(b, csrf, "verify-domain", "Verify", Map.of("domain", d.host()))).append(' ');
                }
                m.append(button(b, csrf, "delete-domain", "Remove", Map.of("domain", d.host()))).append("</td></tr>");
            }
            m.append("</table>");
        }
        if (!sites.isEmpty()) {
            m.append("<form method=\"post\" action=\"").append(b).append("/\" id=\"add-domain\">")
                    .append(hidden("action", "add-domain")).append(hidden("csrf", csrf))
                    .append("<input name=\"domain\" placeholder=\"www.example.org\" required maxlength=\"253\">")
                    .append("<select name=\"site\">");
            for (SiteEntry s : sites) {
                String n = s.name().toString();
                m.append("<option value=\"").append(Pages.escape(n)).append("\">")
                        .append(Pages.escape(n.length() > 16 ? n.substring(0, 10) + "\u2026" + n.substring(n.length() - 5) : n))
                        .append(" (").append(Pages.escape(s.tenant())).append(")</option>");
            }
            m.append("</select><button type=\"submit\">Add domain</button></form>");
        }
        // usage
        usage(m, b);
        // audit
        m.append("<h2>Audit log</h2>");
        List<AuditEntry> entries = admin.audit().list(AUDIT_SHOWN, 0);
        if (entries.isEmpty()) {
            m.append("<p class=\"hint\">No admin actions yet.</p>");
        } else {
            m.append("<table id=\"audit\"><tr><th>When (UTC)</th><th>Who</th><th>Action</th><th>Subject</th></tr>");
            for (AuditEntry e : entries) {
                m.append("<tr><td class=\"n\">").append(Pages.escape(e.at().truncatedTo(ChronoUnit.SECONDS).toString()))
                        .append("</td><td><code>").append(Pages.escape(e.actor())).append("</code><br><span class=\"hint\">")
                        .append(Pages.escape(e.client() == null ? "" : e.client())).append("</span></td><td>")
                        .append(Pages.escape(e.action())).append("</td><td>")
                        .append(Pages.escape(e.subject() == null ? "" : e.subject()))
                        .append(e.detail() == null ? "" : "<br><span class=\"hint\">" + Pages.escape(e.detail()) + "</span>")
                        .append("</td></tr>");
            }
            m.append("</table>");
        }
        m.append("<p class=\"hint\">API: <code>").append(b).append("/api/tenants</code> and more, docs/admin.md.</p>");
        return Pages.document("Admin \u00b7 " + Pages.PRODUCT, EXTRA_STYLE, m.toString(), footer());
    }

    /** The usage charts: requests per hour over the last week, for the busiest sites. */
    private void usage(StringBuilder m, String b) {
        Instant to = clock.instant().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
        Instant from = to.minus(Duration.ofHours(CHART_HOURS));
        List<UsageHour> rows = admin.store().usage(null, from, to, AdminServlet.MAX_USAGE_ROWS);
        Map<String, long[]> requests = new TreeMap<>();
        Map<String, long[]> errors = new HashMap<>();
        Map<String, long[]> totals = new HashMap<>();
        for (UsageHour h : rows) {
            int i = (int) Duration.between(from, h.hourStart()).toHours();
            if (i < 0 || i >= CHART_HOURS) {
                continue;
            }
            requests.computeIfAbsent(h.site(), s -> new long[CHART_HOURS])[i] += h.requests();
            errors.computeIfAbsent(h.site(), s -> new long[CHART_HOURS])[i] += h.errors();
            long[] t = totals.computeIfAbsent(h.site(), s -> new long[3]);
            t[0] += h.requests();
            t[1] += h.bytesOut();
            t[2] += h.errors();
        }
        m.append("<h2>Usage, last 7 days</h2>");
        if (requests.isEmpty()) {
            m.append("<p class=\"hint\">No usage recorded in this week.</p>");
            return;
        }
        List<String> shown = new ArrayList<>(requests.keySet());
        shown.sort(Comparator.comparingLong((String s) -> -totals.get(s)[0]).thenComparing(s -> s));
        if (shown.size() > MAX_CHARTS) {
            m.append("<p class=\"hint\">The ").append(MAX_CHARTS).append(" busiest of ").append(shown.size())
                    .append(" sites.</p>");
            shown = shown.subList(0, MAX_CHARTS);
        }
        for (String site : shown) {
            long[] t = totals.get(site);
            m.append("<div class=\"chart\" id=\"usage-").append(Pages.escape(site)).append("\"><p><code>")
                    .append(Pages.escape(site)).append("</code> \u00b7 <span class=\"total\">").append(t[0])
                    .append(" requests</span>, ").append(Pages.escape(bytes(t[1]))).append(" sent, ").append(t[2])
                    .append(" errors \u00b7 <a href=\"").append(b).append("/api/usage?format=csv&amp;site=")
                    .append(Pages.escape(site)).append("\">CSV</a></p>");
            m.append(chart(requests.get(site), errors.get(site), from, site));
            m.append("</div>");
        }
    }

    /** A bar chart of {@code values} per hour (errors in red at the bottom of each bar). */
    static String chart(long[] values, long[] errs, Instant from, String label) {
        int w = 720;
        int h = 140;
        int top = 8;
        int bottom = 22;
        int plot = h - top - bottom;
        long max = 1;
        for (long v : values) {
            max = Math.max(max, v);
        }
        double bw = (double) w / values.length;
        StringBuilder s = new StringBuilder();
        s.append("<svg viewBox=\"0 0 ").append(w).append(' ').append(h).append("\" role=\"img\" aria-label=\"requests per hour of ")
                .append(Pages.escape(label)).append("\" xmlns=\"http://www.w3.org/2000/svg\">");
        s.append("<line class=\"axis\" x1=\"0\" y1=\"").append(top + plot).append("\" x2=\"").append(w).append("\" y2=\"")
                .append(top + plot).append("\"/>");
        for (int i = 0; i < values.length; i++) {
            double x = i * bw;
            if (values[i] > 0) {
                double bh = Math.max(1, (double) values[i] * plot / max);
                s.append("<rect class=\"bar\" x=\"").append(fmt(x)).append("\" y=\"").append(fmt(top + plot - bh))
                        .append("\" width=\"").append(fmt(Math.max(1, bw - 1))).append("\" height=\"").append(fmt(bh))
                        .append("\"><title>").append(HOUR.format(from.plus(Duration.ofHours(i)))).append(": ")
                        .append(values[i]).append(" requests, ").append(errs == null ? 0 : errs[i])
                        .append(" errors</title></rect>");
                if (errs != null && errs[i] > 0) {
                    double eh = Math.max(1, (double) errs[i] * plot / max);
                    s.append("<rect class=\"bar err\" x=\"").append(fmt(x)).append("\" y=\"").append(fmt(top + plot - eh))
                            .append("\" width=\"").append(fmt(Math.max(1, bw - 1))).append("\" height=\"")
                            .append(fmt(eh)).append("\"/>");
                }
            }
            if (i % 24 == 0) {
                s.append("<text class=\"lbl\" x=\"").append(fmt(x + 2)).append("\" y=\"").append(h - 6).append("\">")
                        .append(DAY.format(from.plus(Duration.ofHours(i)))).append("</text>");
            }
        }
        s.append("<text class=\"lbl\" x=\"").append(w - 2).append("\" y=\"").append(top + 10)
                .append("\" text-anchor=\"end\">max ").append(max).append("/h</text>");
        s.append("</svg>");
        return s.toString();
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static String quotaText(Quota q) {
        if (q == null || q.isNone()) {
            return "<span class=\"hint\">none</span>";
        }
        List<String> parts = new ArrayList<>();
        if (q.requestsPerSecond() != null) {
            parts.add(fmtNumber(q.requestsPerSecond()) + " req/s");
        }
        if (q.maxStreams() != null) {
            parts.add(q.maxStreams() + " streams");
        }
        if (q.bytesPerMonth() != null) {
            parts.add(bytes(q.bytesPerMonth()) + "/month");
        }
        return Pages.escape(String.join(", ", parts));
    }

    private static String fmtNumber(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static String button(String base, String csrf, String action, String label, Map<String, String> fields) {
        StringBuilder s = new StringBuilder("<form class=\"inline\" method=\"post\" action=\"").append(base).append("/\">")
                .append(hidden("action", action)).append(hidden("csrf", csrf));
        new TreeMap<>(fields).forEach((k, v) -> s.append(hidden(k, v)));
        return s.append("<button class=\"quiet\" type=\"submit\">").append(Pages.escape(label)).append("</button></form>")
                .toString();
    }

    private static String hidden(String name, String value) {
        return "<input type=\"hidden\" name=\"" + Pages.escape(name) + "\" value=\"" + Pages.escape(value) + "\">";
    }

    private static String footer() {
        return Pages.PRODUCT + " \u00b7 version " + GatewayStatus.projectVersion() + " \u00b7 admin";
    }

    // ---- writing

    private Map<String, String> formOf(HttpServletRequest req, HttpServletResponse resp, String base) throws IOException {
        String type = req.getContentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            Pages.write(resp, new Page(415, "Not a form", "Send the page's forms."), "text/html", null);
            return null;
        }
        try {
            return AdminServlet.form(AdminServlet.readBody(req, MAX_FORM_BYTES));
        } catch (AdminServlet.ApiError e) {
            Pages.write(resp, new Page(e.status, "Refused", e.getMessage()), "text/html", null);
            return null;
        }
    }

    private static void redirect(HttpServletResponse resp, String location) {
        resp.setStatus(303);
        resp.setHeader("Location", location);
    }

    /** The page with a strict policy: no scripts, forms to this origin only, never framed. */
    static void write(HttpServletResponse resp, int status, String document) throws IOException {
        byte[] body = document.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("text/html;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
                + " frame-ancestors 'none'; base-uri 'none'");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Referrer-Policy", "no-referrer");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
