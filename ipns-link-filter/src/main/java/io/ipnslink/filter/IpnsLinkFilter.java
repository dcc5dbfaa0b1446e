package io.ipnslink.filter;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.errors.GatewayErrors;
import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.DomainMap;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.SiteRequest;
import io.ipnslink.filter.errors.ResolveException;
import io.ipnslink.filter.errors.SiteException;
import io.ipnslink.filter.limits.VisitorLimiter;
import io.ipnslink.filter.proxy.HeaderRules;
import io.ipnslink.filter.proxy.OriginIsolation;
import io.ipnslink.filter.proxy.ProxyTarget;
import io.ipnslink.filter.resolve.ResolvedName;
import io.ipnslink.filter.route.NameRef;
import io.ipnslink.filter.route.PublicRequest;
import io.ipnslink.filter.route.RequestRouter;
import io.ipnslink.filter.route.Route;
import io.ipnslink.routing.RoutingV1;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPNS-Link gateway as a servlet filter. Map it to {@code /*} with async support, for the
 * {@code REQUEST} and {@code ASYNC} dispatcher types. Requests that are not for an IPNS name go
 * down the filter chain untouched, so the filter can live inside an existing web application.
 *
 * <p>Per request: {@link RequestRouter} decides (pass, redirect, routing API, raw record, site);
 * sites are resolved ({@code NameResolver}, DNSLink) and forwarded to their peer over libp2p
 * ({@link Forwarder}, {@code OriginProxy}), all in async mode: no container thread waits on the
 * network. Failures become answers in {@link GatewayErrors} only.
 *
 * <p>When a decision to pass needs a lookup (a DNSLink host without DNSLink; redirect mode for a
 * name without manifest), the request is sent on with {@code AsyncContext.dispatch()} and
 * {@link #PASS_ATTRIBUTE} set; this filter lets such requests through.
 *
 * <p>Configuration: {@link io.ipnslink.filter.config.ConfigKey} ({@code docs/configuration.md}).
 */
public class IpnsLinkFilter implements Filter {
    /** Request attribute marking a request this filter decided to pass on after an async lookup. */
    public static final String PASS_ATTRIBUTE = IpnsLinkFilter.class.getName() + ".pass";
    /**
     * Servlet context attribute holding a {@code java.util.function.Supplier<GatewayStatus>} of the
     * running filter (set in {@link #init}, removed in {@link #destroy}): servlets of the same web
     * application read the gateway's status through it ({@code io.ipnslink.filter.web.StatusServlet}).
     */
    public static final String STATUS_ATTRIBUTE = IpnsLinkFilter.class.getName() + ".status";
    /**
     * Servlet context attribute holding the running filter's {@link GatewayConfig} (set in
     * {@link #init}, removed in {@link #destroy}), for the gateway's own pages.
     */
    public static final String CONFIG_ATTRIBUTE = IpnsLinkFilter.class.getName() + ".config";
    /** Longest a request may wait for a name before the container's async timeout. */
    public static final Duration RESOLVE_PHASE_SLACK = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(IpnsLinkFilter.class);
    /** Request attribute: the request went async and its answer is counted when the async cycle completes. */
    private static final String COUNTED_ATTRIBUTE = IpnsLinkFilter.class.getName() + ".counted";
    /** Request attribute: the request's {@link VisitorLimiter.Ticket}, released when the request ended. */
    private static final String TICKET_ATTRIBUTE = IpnsLinkFilter.class.getName() + ".ticket";

    private final GatewayOverrides overrides;
    private final AtomicLong requestIds = new AtomicLong();
    private volatile Gateway gateway;
    private final Supplier<GatewayStatus> statusSupplier = this::status;
    private ServletContext servletContext;

    /** The filter as a container creates it: every default. */
    public IpnsLinkFilter() {
        this(GatewayOverrides.none());
    }

    /** With replaced parts (tests, embedding applications). */
    public IpnsLinkFilter(GatewayOverrides overrides) {
        this.overrides = overrides == null ? GatewayOverrides.none() : overrides;
    }

    @Override
    public void init(FilterConfig filterConfig) throws ServletException {
        ServletContext ctx = filterConfig.getServletContext();
        Map<String, String> env = overrides.environment() != null ? overrides.environment() : System.getenv();
        List<ConfigSource> sources = List.of(
                ConfigSource.initParams(filterConfig::getInitParameter),
                ConfigSource.contextParams(ctx::getInitParameter),
                ConfigSource.systemProperties(),
                ConfigSource.environment(env));
        Object temp = ctx.getAttribute(ServletContext.TEMPDIR);
        Path tempDir = temp instanceof File f ? f.toPath() : temp instanceof Path p ? p : null;
        GatewayConfig config;
        try {
            config = GatewayConfig.load(sources, tempDir);
        } catch (io.ipnslink.filter.config.ConfigException e) {
            LOG.error("IPNS-Link gateway not started: {}", e.getMessage());
            throw new jakarta.servlet.UnavailableException(e.getMessage());
        }
        warnAboutPathFormSandbox(config);
        gateway = Gateway.start(config, overrides, ctx);
        io.ipnslink.filter.proxy.ContainerThreads.leaveAfterStart(); // init ran on a container thread
        servletContext = ctx;
        ctx.setAttribute(CONFIG_ATTRIBUTE, config);
        ctx.setAttribute(STATUS_ATTRIBUTE, statusSupplier);
    }

    /** A path-form sandbox that gives sites the host origin is the operator's choice, said once at start. */
    private static void warnAboutPathFormSandbox(GatewayConfig config) {
        String sandbox = config.pathFormSandbox().orElse(null);
        if (sandbox == null || java.util.Arrays.asList(sandbox.split(" ")).contains(OriginIsolation.ALLOW_SAME_ORIGIN)) {
            LOG.warn("path-form-sandbox={}: sites served in path form (/ipns/{{name}}/) run their scripts as this"
                    + " host's origin (its storage, its cookies readable by scripts, other sites' pages);"
                    + " use subdomain form (gateway-hosts) or the default sandbox", sandbox == null ? "off" : sandbox);
        }
    }

    /**
     * What the gateway is and has done so far: version, mode, peer id, known sites, open
     * connections, answers by status class and failures by kind.
     *
     * @throws IllegalStateException before {@link #init} and after {@link #destroy}
     */
    public GatewayStatus status() {
        return gateway().status();
    }

    /** The configuration in use (after {@link #init}). */
    public GatewayConfig config() {
        return gateway().config;
    }

    /** The gateway's libp2p host (gateway mode, after {@link #init}). */
    public Optional<io.ipnslink.p2p.Host> host() {
        return Optional.ofNullable(gateway().host);
    }

    /** The visitor limits in use (tests). */
    VisitorLimiter visitorLimiter() {
        return gateway().visitors;
    }

    @Override
    public void destroy() {
        Gateway g = gateway;
        gateway = null;
        ServletContext ctx = servletContext;
        servletContext = null;
        if (ctx != null) {
            if (ctx.getAttribute(STATUS_ATTRIBUTE) == statusSupplier) {
                ctx.removeAttribute(STATUS_ATTRIBUTE);
            }
            if (g != null && ctx.getAttribute(CONFIG_ATTRIBUTE) == g.config) {
                ctx.removeAttribute(CONFIG_ATTRIBUTE);
            }
        }
        if (g != null) {
            g.close();
        }
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        try {
            filter(request, response, chain);
        } finally {
            io.ipnslink.filter.proxy.ContainerThreads.leave(); // no Netty thread-locals left on the container's thread
        }
    }

    private void filter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest req) || !(response instanceof HttpServletResponse resp)
                || request.getAttribute(PASS_ATTRIBUTE) != null
                || (req.getDispatcherType() != DispatcherType.REQUEST && req.getDispatcherType() != DispatcherType.ASYNC)) {
            chain.doFilter(request, response);
            return;
        }
        Gateway g = gateway();
        PublicRequest pr = PublicRequest.from(req, g.config);
        Route route = g.router.route(pr);
        if (g.config.mode() == GatewayConfig.Mode.REDIRECT
                && !(route instanceof Route.Site s && s.name() instanceof NameRef.Key)) {
            route = new Route.Pass(); // in front of an IPFS gateway: everything but key names is its business
        }
        if (route instanceof Route.Ipfs && g.ipfs == null) {
            route = new Route.Pass(); // /ipfs/ not served here (ipfs-gateway)
        }
        String id = "gw" + requestIds.incrementAndGet();
        if (!(route instanceof Route.Pass)) {
            LOG.debug("[{}] {} {}{} -> {}", id, req.getMethod(), pr.host(), pr.path(), route);
        }
        if (route instanceof Route.Pass) {
            chain.doFilter(request, response);
            return;
        }
        RequestMeter meter = new RequestMeter(id, meterKind(route), System.nanoTime());
        req.setAttribute(RequestMeter.ATTRIBUTE, meter);
        VisitorLimiter.Ticket ticket = admit(g, id, req, resp, pr, route);
        if (ticket == null) {
            meter.failure(GatewayStats.VISITOR_LIMIT);
            g.ended(meter, resp.getStatus());
            return; // refused and answered
        }
        try {
            if (route instanceof Route.Redirect r) {
                GatewayErrors.write(resp, new GatewayErrors.Answer.Redirect(r.status(), r.location()),
                        context(id, pr, null, null));
            } else if (route instanceof Route.Invalid inv) {
                g.stats.failed(GatewayStats.INVALID_REQUEST);
                GatewayErrors.write(resp, GatewayErrors.invalidRequest(inv.status(), inv.message()),
                        context(id, pr, null, null));
            } else if (route instanceof Route.RoutingApi api) {
                if (refusedRecord(g, id, req, resp, pr, routingName(api.pathInfo()))) {
                    return;
                }
                g.routingServlet.service(new RoutingRequest(req, api.pathInfo(), pr.clientAddress()), resp);
            } else if (route instanceof Route.WellKnown) {
                WellKnown.answer(g, req, resp, pr, context(id, pr, null, null));
            } else if (route instanceof Route.Ipfs ipfs) {
                g.ipfs.serve(req, resp, ipfs, id, () -> startAsync(req, resp, g));
            } else if (route instanceof Route.RawRecord raw) {
                rawRecord(g, id, req, resp, pr, raw.name().name());
            } else if (route instanceof Route.Site site) {
                site(g, id, req, resp, chain, pr, site);
            }
        } finally {
            // answered on this thread (async answers are counted by the listener of startAsync)
            if (req.getAttribute(COUNTED_ATTRIBUTE) == null && req.getAttribute(PASS_ATTRIBUTE) == null) {
                g.stats.answered(resp.getStatus());
            }
            holdUntilEnded(g, req, resp, ticket, meter);
        }
    }

    private static RequestMeter.Kind meterKind(Route route) {
        if (route instanceof Route.Site) {
            return RequestMeter.Kind.SITE;
        }
        if (route instanceof Route.RawRecord) {
            return RequestMeter.Kind.RECORD;
        }
        return route instanceof Route.RoutingApi ? RequestMeter.Kind.ROUTING : RequestMeter.Kind.OTHER;
    }

    // ---- visitor limits

    /**
     * Admits the request under its visitor's limits ({@code filter/limits}): the ticket to release
     * when it ended, or null after answering 429. Only requests the gateway answers itself count:
     * in gateway mode, every route but {@code Pass}; a DNSLink host only once its DNSLink record is
     * known (before that the request may yet go down the chain to the host application) or when it
     * is a custom domain ({@link DomainMap}).
     */
    private static VisitorLimiter.Ticket admit(Gateway g, String id, HttpServletRequest req, HttpServletResponse resp,
            PublicRequest pr, Route route) throws IOException {
        if (g.config.mode() != GatewayConfig.Mode.GATEWAY || (route instanceof Route.Site s && s.dnsLinkHost()
                && s.name() instanceof NameRef.DnsLink d && g.domains.siteFor(d.domain()).isEmpty()
                && g.dnsLink.cached(d.domain()).map(Optional::isEmpty).orElse(true))) {
            return VisitorLimiter.UNLIMITED;
        }
        VisitorLimiter.Admission a = g.visitors.admit(pr.clientAddress());
        if (a instanceof VisitorLimiter.Admission.Admitted ok) {
            req.setAttribute(TICKET_ATTRIBUTE, ok.ticket());
            return ok.ticket();
        }
        VisitorLimiter.Admission.Refused no = (VisitorLimiter.Admission.Refused) a;
        LOG.debug("[{}] refused for its visitor's limits: {}", id, no.reason());
        g.stats.failed(GatewayStats.VISITOR_LIMIT);
        GatewayErrors.write(resp, GatewayErrors.tooManyRequests(no.retryAfter(), no.reason()),
                context(id, pr, null, null));
        g.stats.answered(resp.getStatus());
        return null;
    }

    /**
     * After the container thread is done with the request: the ticket goes back and the request's
     * meter ends now, when the async cycle ends (the listener of {@link #startAsync}) or when the
     * upgraded connection ends. A request passed down the chain ends its meter without telling the
     * observers: it was not the gateway's.
     */
    private static void holdUntilEnded(Gateway g, HttpServletRequest req, HttpServletResponse resp,
            VisitorLimiter.Ticket ticket, RequestMeter meter) {
        if (req.getAttribute(COUNTED_ATTRIBUTE) != null) {
            return; // async: released by the listener of startAsync
        }
        if (req.getAttribute(Gateway.UPGRADE_ENDED_ATTRIBUTE) instanceof java.util.concurrent.CompletionStage<?> ended) {
            meter.upgraded(true);
            int status = resp.getStatus();
            ended.whenComplete((outcome, error) -> {
                ticket.release();
                g.ended(meter, status);
            });
            return;
        }
        ticket.release();
        if (req.getAttribute(PASS_ATTRIBUTE) != null) {
            meter.end(0, System.nanoTime());
        } else {
            g.ended(meter, resp.getStatus());
        }
    }

    private Gateway gateway() {
        Gateway g = gateway;
        if (g == null) {
            throw new IllegalStateException("IpnsLinkFilter is not initialised (or destroyed)");
        }
        return g;
    }

    // ---- raw record

    private void rawRecord(Gateway g, String id, HttpServletRequest req, HttpServletResponse resp, PublicRequest pr,
            IpnsName name) throws IOException {
        RequestMeter meter = RequestMeter.of(req);
        if (meter != null) {
            meter.site(name);
        }
        if (refusedRecord(g, id, req, resp, pr, name)) {
            return;
        }
        CompletableFuture<ResolvedName> f = g.resolver.resolve(name);
        if (f.isDone()) {
            writeRecord(g, id, resp, pr, f);
            return;
        }
        AsyncContext async = startAsync(req, resp, g);
        f.whenComplete((r, e) -> {
            try {
                writeRecord(g, id, resp, pr, f);
            } catch (IOException | RuntimeException ex) {
                LOG.debug("[{}] writing the record failed: {}", id, ex.toString());
            } finally {
                complete(async);
            }
        });
    }

    /**
     * The gates ({@link io.ipnslink.filter.pipeline.SiteGate}) for a name's record (raw record,
     * routing endpoint; the meter's kind tells them which): true after answering their refusal.
     */
    private static boolean refusedRecord(Gateway g, String id, HttpServletRequest req, HttpServletResponse resp,
            PublicRequest pr, IpnsName name) throws IOException {
        RequestMeter meter = RequestMeter.of(req);
        RefusedException refused = name == null || g.gates.isEmpty() ? null
                : g.check(new SiteRequest(name, null, "/", pr.host(), pr.clientAddress(), id), meter);
        if (refused == null) {
            return false;
        }
        g.stats.failed(refused);
        if (meter != null) {
            meter.failure(GatewayStats.kind(refused));
        }
        GatewayErrors.send(resp, refused, context(id, pr, null, null));
        return true;
    }

    /** The name of a routing endpoint path {@code /ipns/{name}}, or null (the endpoint answers the rest). */
    private static IpnsName routingName(String pathInfo) {
        if (pathInfo == null || !pathInfo.startsWith(IpnsName.IPNS_PREFIX)) {
            return null;
        }
        try {
            return IpnsName.parse(pathInfo.substring(IpnsName.IPNS_PREFIX.length()));
        } catch (io.ipnslink.core.ipns.IpnsNameException e) {
            return null;
        }
    }

    private void writeRecord(Gateway g, String id, HttpServletResponse resp, PublicRequest pr,
            CompletableFuture<ResolvedName> f) throws IOException {
        ResolvedName r;
        try {
            r = f.join();
        } catch (RuntimeException e) {
            g.stats.failed(e);
            GatewayErrors.send(resp, e, context(id, pr, null, null));
            return;
        }
        IpnsRecord record = r.record();
        byte[] raw = record.raw();
        long remaining = Math.max(0, Duration.between(g.clock.instant(), record.validity()).toSeconds());
        long maxAge = Math.min(record.ttl().toSeconds(), remaining);
        resp.setStatus(200);
        resp.setContentType(RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        resp.setHeader("Content-Disposition", "attachment; filename=\"" + r.name() + ".ipns-record\"");
        resp.setHeader("Cache-Control", "public, max-age=" + maxAge);
        resp.setHeader("Vary", "Accept");
        resp.setHeader("X-Ipfs-Path", RequestRouter.IPNS_PATH + r.name());
        resp.setContentLength(raw.length);
        resp.getOutputStream().write(raw);
    }

    // ---- sites: route -> resolve -> manifest check -> forward -> respond

    /** A site request: its context is made here, and resolution starts with the name's kind. */
    private void site(Gateway g, String id, HttpServletRequest req, HttpServletResponse resp, FilterChain chain,
            PublicRequest pr, Route.Site site) throws IOException, ServletException {
        RequestContext rc = new RequestContext(g, id, req, resp, chain, pr, site);
        if (!rc.redirectMode() && !HeaderRules.expectationMet(req)) {
            LOG.debug("[{}] 417: Expect {}", id, req.getHeader("Expect"));
            HeaderRules.refuseExpectation(resp);
            return;
        }
        if (!rc.redirectMode() && g.forwarder.upgrades() && HeaderRules.isUpgradeRequest(req)) {
            upgradeSite(rc);
            return;
        }
        if (site.name() instanceof NameRef.DnsLink d) {
            resolveDnsLink(rc, d);
        } else {
            resolveName(rc, ((NameRef.Key) site.name()).name(), null);
        }
    }

    /**
     * Resolve, DNSLink: a custom domain the operator mapped to a site ({@link DomainMap}), else the
     * domain's {@code _dnslink} TXT names the key (cached by its TTL).
     */
    private void resolveDnsLink(RequestContext rc, NameRef.DnsLink d) throws IOException, ServletException {
        Optional<IpnsName> mapped = rc.gateway.domains.siteFor(d.domain());
        if (mapped.isPresent()) {
            resolveName(rc, mapped.get(), d.domain());
            return;
        }
        Optional<Optional<IpnsName>> cached = rc.gateway.dnsLink.cached(d.domain());
        if (cached.isPresent()) {
            if (cached.get().isEmpty()) {
                noDnsLink(rc);
            } else {
                resolveName(rc, cached.get().get(), d.domain());
            }
            return;
        }
        rc.startAsync();
        rc.gateway.dnsLink.resolve(d.domain()).whenComplete((name, error) -> {
            try {
                if (name == null || name.isEmpty()) {
                    noDnsLink(rc);
                } else {
                    resolveName(rc, name.get(), d.domain());
                }
            } catch (IOException | ServletException | RuntimeException e) {
                rc.fail(e);
            }
        });
    }

    /** No DNSLink: a DNSLink host is not ours (pass), an {@code /ipns/domain} path is a 404. */
    private void noDnsLink(RequestContext rc) throws IOException, ServletException {
        if (rc.site.dnsLinkHost()) {
            rc.pass();
            return;
        }
        rc.fail(new ResolveException(ResolveException.Kind.NO_DNSLINK, null,
                "no DNSLink record naming an IPNS key at _dnslink." + rc.site.name().text(), null));
    }

    /**
     * Resolve, key name: the gates first (gateway mode), then its best record (store, then routing
     * endpoints); then redirect mode or the manifest check.
     *
     * @param domain the DNS name the site was reached by, or null
     */
    private void resolveName(RequestContext rc, IpnsName name, String domain) throws IOException, ServletException {
        Gateway g = rc.gateway;
        if (!rc.redirectMode() && refusedByGates(rc, name, domain)) {
            return;
        }
        RequestMeter meter = RequestMeter.of(rc.request);
        if (meter != null) {
            meter.resolveStart(System.nanoTime());
        }
        CompletableFuture<ResolvedName> f = g.resolve(name);
        if (rc.redirectMode()) {
            if (f.isDone() && rc.async() == null) {
                redirectMode(rc, f);
                return;
            }
            rc.startAsync();
            f.whenComplete((r, e) -> {
                try {
                    redirectMode(rc, f);
                } catch (IOException | ServletException | RuntimeException ex) {
                    rc.fail(ex);
                }
            });
            return;
        }
        rc.startAsync();
        // the async context has no container timeout in gateway mode: bound the wait for the name here
        f.copy().orTimeout(g.config.resolveTimeout().plus(RESOLVE_PHASE_SLACK).toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((resolved, error) -> {
            if (meter != null) {
                meter.resolved(System.nanoTime());
            }
            if (error != null) {
                rc.fail(error);
                return;
            }
            Manifest manifest = checkManifest(rc, resolved);
            if (manifest != null && !siteContent(rc, manifest)) {
                forward(rc, resolved, manifest);
            }
        });
    }

    /** The manifest's static and stream prefixes, answered from IPFS (docs/static.md): true when answered so. */
    private static boolean siteContent(RequestContext rc, Manifest manifest) {
        return rc.gateway.ipfs != null && rc.gateway.ipfs.siteContent().serve(new io.ipnslink.filter.ipfs.SiteContent.SiteRequest(
                rc.request, rc.response, rc.id, rc.site.name().text(), manifest, rc.site.pathAndQuery(),
                rc.site.publicBasePath(), rc.site.subdomain() || rc.site.dnsLinkHost(), rc::startAsync,
                rc.gateway::resolve, () -> forwarding(rc)));
    }

    /**
     * The gates ({@link io.ipnslink.filter.pipeline.SiteGate}: denylist, registered sites, quotas):
     * true after failing the request with the first refusal.
     */
    private static boolean refusedByGates(RequestContext rc, IpnsName name, String domain) {
        RequestMeter meter = RequestMeter.of(rc.request);
        if (meter != null) {
            meter.site(name);
        }
        if (rc.gateway.gates.isEmpty()) {
            return false;
        }
        PublicRequest pr = rc.publicRequest;
        RefusedException refused = rc.gateway.check(new SiteRequest(name, domain, rc.site.pathAndQuery(), pr.host(),
                pr.clientAddress(), rc.id), meter);
        if (refused == null) {
            return false;
        }
        LOG.debug("[{}] refused: {} {}", rc.id, refused.kind(), refused.getMessage());
        rc.fail(refused);
        return true;
    }

    /** Manifest check: the record's IPNS-Link manifest, or null after failing the request (none, invalid, offline). */
    private static Manifest checkManifest(RequestContext rc, ResolvedName resolved) {
        IpnsName name = resolved.name();
        Manifest manifest = resolved.manifest().orElse(null);
        rc.manifest(manifest);
        if (manifest == null) {
            rc.fail(resolved.manifestError() != null
                    ? new SiteException(SiteException.Kind.INVALID_MANIFEST, name,
                            "the record of " + name + " has an invalid IPNS-Link manifest: " + resolved.manifestError())
                    : new SiteException(SiteException.Kind.NO_MANIFEST, name, "the record of " + name
                            + " carries no IPNS-Link manifest (it points to " + resolved.record().valuePath() + ")"));
            return null;
        }
        if (rc.gateway.access != null) {
            try { // the site's allow-list and sealed addresses, before anything else of the manifest is used
                manifest = rc.gateway.access.admit(name, manifest, rc.site.pathAndQuery());
            } catch (io.ipnslink.filter.errors.GatewayException e) {
                rc.fail(e);
                return null;
            }
            rc.manifest(manifest);
        }
        if (manifest.offline()) {
            rc.fail(new SiteException(SiteException.Kind.OFFLINE, name, name + " is offline"));
            return null;
        }
        return manifest;
    }

    /** Forward, then respond: the forwarder answers; a failure it could not answer itself comes back here. */
    private static void forward(RequestContext rc, ResolvedName resolved, Manifest manifest) {
        ProxyTarget target = target(rc, resolved, manifest);
        forwarding(rc);
        CompletableFuture<Void> done;
        try {
            done = rc.gateway.forwarder.forward(rc.async(), target);
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        done.whenComplete((v, error) -> {
            if (error != null) {
                rc.fail(error);
            }
        });
    }

    /** The request reached the forward step (usage counts it): its dial starts now unless the proxy said so already. */
    private static void forwarding(RequestContext rc) {
        RequestMeter meter = RequestMeter.of(rc.request);
        if (meter != null && meter.dialStartNanos() == 0) {
            meter.dialStart(System.nanoTime());
        }
    }

    /**
     * The proxy's target: in path form the site shares the host application's origin and gets its
     * isolation ({@code path-form-sandbox}); the host goes to the site only when the router checked it.
     */
    private static ProxyTarget target(RequestContext rc, ResolvedName resolved, Manifest manifest) {
        PublicRequest pr = rc.publicRequest;
        Gateway g = rc.gateway;
        boolean sharedOrigin = !rc.site.subdomain() && !rc.site.dnsLinkHost();
        OriginIsolation isolation = sharedOrigin
                ? OriginIsolation.sharedOrigin(g.config.pathFormSandbox().orElse(null)) : OriginIsolation.OWN_ORIGIN;
        String forwardedHost = g.router.checkedHost(pr, rc.site) ? pr.host() : null;
        return new ProxyTarget(resolved.name(), manifest, rc.site.pathAndQuery(), rc.site.publicBasePath(),
                pr.scheme(), pr.host(), g.anonymity.forSite(pr.clientAddress()), rc.id, forwardedHost, isolation);
    }

    /**
     * An upgrade request (WebSocket) in gateway mode: the same route -> resolve -> manifest check ->
     * forward, but on the container thread, since the container switches protocols only after the
     * filter returns on its own thread. Each wait is bounded (the DNS and resolve timeouts here,
     * the dial, first-byte and idle timeouts in the forwarder); failures get the usual pages.
     */
    private void upgradeSite(RequestContext rc) throws IOException, ServletException {
        Gateway g = rc.gateway;
        try {
            IpnsName name;
            String domain = null;
            if (rc.site.name() instanceof NameRef.DnsLink d) {
                domain = d.domain();
                Optional<IpnsName> n = g.domains.siteFor(d.domain());
                if (n.isEmpty()) {
                    n = g.dnsLink.resolve(d.domain())
                            .get(g.config.dnsTimeout().plus(RESOLVE_PHASE_SLACK).toMillis(), TimeUnit.MILLISECONDS);
                }
                if (n.isEmpty()) {
                    noDnsLink(rc);
                    return;
                }
                name = n.get();
            } else {
                name = ((NameRef.Key) rc.site.name()).name();
            }
            if (refusedByGates(rc, name, domain)) {
                return;
            }
            ResolvedName resolved = g.resolve(name)
                    .get(g.config.resolveTimeout().plus(RESOLVE_PHASE_SLACK).toMillis(), TimeUnit.MILLISECONDS);
            Manifest manifest = checkManifest(rc, resolved);
            if (manifest != null && g.legacy != null && g.legacy.siteOf(manifest).isPresent()) {
                rc.startAsync(); // a legacy site: an ordinary request with Connection: close, as the original sent
                forward(rc, resolved, manifest);
            } else if (manifest != null) {
                forwarding(rc);
                g.forwarder.upgrade(rc.request, rc.response, target(rc, resolved, manifest));
            }
        } catch (ExecutionException e) {
            rc.fail(e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException | ProxyException e) {
            rc.fail(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            rc.fail(e);
        }
    }

    /** Redirect mode: IPNS-Link names go to the IPNS-Link gateway, everything else down the chain. */
    private void redirectMode(RequestContext rc, CompletableFuture<ResolvedName> f) throws IOException, ServletException {
        ResolvedName r = f.isCompletedExceptionally() ? null : f.join();
        if (r == null || r.manifest().isEmpty()) {
            rc.pass();
            return;
        }
        String location = redirectLocation(rc.gateway.config, r.name(), rc.site);
        GatewayErrors.write(rc.response, new GatewayErrors.Answer.Redirect(307, location),
                context("", rc.publicRequest, null, null));
        rc.complete();
    }

    /** Where redirect mode sends an IPNS-Link name: same path on the IPNS-Link gateway, or its subdomain form. */
    static String redirectLocation(GatewayConfig config, IpnsName name, Route.Site site) {
        java.net.URI gw = config.redirectGateway().orElseThrow();
        String base = gw.getRawPath() == null ? "" : gw.getRawPath().replaceAll("/+$", "");
        String port = gw.getPort() < 0 ? "" : ":" + gw.getPort();
        String rest = site.pathAndQuery();
        if (config.redirectSubdomain()) {
            return gw.getScheme() + "://" + name + RequestRouter.IPNS_LABEL + gw.getHost() + port + base + rest;
        }
        return gw.getScheme() + "://" + gw.getHost() + port + base + RequestRouter.IPNS_PATH + name + rest;
    }

    // ---- helpers

    /**
     * Async mode. In gateway mode without a container timeout (the resolver and the forwarder bound
     * every wait themselves, and long downloads must not be cut); otherwise bounded by the lookups.
     */
    static AsyncContext startAsync(HttpServletRequest req, HttpServletResponse resp, Gateway g) {
        AsyncContext async = req.startAsync(req, resp);
        async.setTimeout(g.config.mode() == GatewayConfig.Mode.GATEWAY ? 0
                : g.config.resolveTimeout().plus(g.config.dnsTimeout()).plus(RESOLVE_PHASE_SLACK).toMillis());
        req.setAttribute(COUNTED_ATTRIBUTE, Boolean.TRUE);
        VisitorLimiter.Ticket ticket = req.getAttribute(TICKET_ATTRIBUTE) instanceof VisitorLimiter.Ticket t
                ? t : VisitorLimiter.UNLIMITED;
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                ticket.release();
                RequestMeter meter = RequestMeter.of(req);
                if (req.getAttribute(PASS_ATTRIBUTE) == null) {
                    g.stats.answered(resp.getStatus());
                    g.ended(meter, resp.getStatus());
                } else if (meter != null) {
                    meter.end(0, System.nanoTime()); // not the gateway's request after all
                }
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                g.stats.failed(GatewayStats.RESOLVE_TIMEOUT);
                ticket.release();
            }

            @Override
            public void onError(AsyncEvent event) {
                // counted in onComplete with the status the container sends
                ticket.release(); // the visitor is gone or the container failed: never hold its slot longer
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                // a later async cycle belongs to whoever started it
            }
        });
        return async;
    }

    static void complete(AsyncContext async) {
        if (async == null) {
            return;
        }
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // already completed or dispatched (client gone, container timeout)
        }
    }

    static GatewayErrors.Context context(String id, PublicRequest pr, Manifest manifest, Route.Site site) {
        String base = pr.contextPath();
        if (site != null && site.subdomain()) {
            base = pr.scheme() + "://" + site.gatewayHost() + pr.contextPath();
        }
        return new GatewayErrors.Context(id, pr.accept(), manifest, base);
    }

    /** The routing servlet expects its path info ({@code /ipns/{name}}) as if mapped at {@code /routing/v1/*}. */
    private static final class RoutingRequest extends HttpServletRequestWrapper {
        private final String pathInfo;
        private final String clientAddress;

        /**
         * @param clientAddress the visitor's address as the gateway sees it
         *     ({@link PublicRequest#clientAddress()}: behind a trusted proxy, the forwarded one), so
         *     that the endpoint's PUT limits count each client, not the proxy
         */
        RoutingRequest(HttpServletRequest request, String pathInfo, String clientAddress) {
            super(request);
            this.pathInfo = pathInfo.isEmpty() ? null : pathInfo;
            this.clientAddress = clientAddress;
        }

        @Override
        public String getRemoteAddr() {
            return clientAddress != null ? clientAddress : super.getRemoteAddr();
        }

        @Override
        public String getPathInfo() {
            return pathInfo;
        }

        @Override
        public String getServletPath() {
            return RoutingV1.API_PREFIX;
        }
    }
}
